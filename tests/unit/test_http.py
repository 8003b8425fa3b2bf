from urllib.parse import parse_qs as stdlib_parse_qs

from hypothesis import given
from hypothesis import strategies as st

from overcast.http import Request, parse_qs


@given(st.text(alphabet="ab=&%+2Fé;x0", max_size=30))
def test_parse_qs_is_the_stdlib_one(text):
    assert parse_qs(text) == stdlib_parse_qs(text, keep_blank_values=True)


def test_form_merges_body_over_query_only_for_form_bodies():
    form = {"content-type": "application/x-www-form-urlencoded; charset=utf-8"}
    request = Request("POST", "/", "Action=A&X=1", form, b"Action=B&Y=a%20b+c")
    assert request.form == {"Action": ["B"], "X": ["1"], "Y": ["a b c"]}
    assert Request("PUT", "/b/k", "acl", {}, b"Action=B").form == {"acl": [""]}

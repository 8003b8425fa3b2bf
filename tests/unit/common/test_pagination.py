import base64

import pytest

from overcast.common.pagination import (
    decode_token,
    encode_token,
    paginate_keys,
    paginate_list,
    paginator_spec,
)
from overcast.errors import ServiceError
from overcast.store import Store


class BadToken(Exception):
    pass


@pytest.fixture
def store():
    with Store.open(None) as opened:
        yield opened


def names_page(store, params, table, bind=""):
    return paginate_keys(
        store,
        "sqs",
        "ListQueues",
        params,
        lambda after: table.scan("000000000000/us-east-1", start_after=after),
        bad_token=BadToken,
        default_limit=1000,
        render=lambda key, item: item["url"],
        bind=bind,
    )


def fill(store, count):
    table = store.table("sqs", "queues")
    for n in range(count):
        table.put("000000000000/us-east-1", f"q{n:03d}", {"url": f"http://q/{n:03d}"})
    return table


def walk(first, following):
    page = first()
    pages = [page]
    while "NextToken" in page:
        page = following(page["NextToken"])
        pages.append(page)
    return pages


def test_the_paginator_definition_comes_from_botocore():
    spec = paginator_spec("iam", "ListUsers")
    assert (spec.input_token, spec.output_token, spec.limit_key, spec.result_key, spec.more_results) == (
        "Marker",
        "Marker",
        "MaxItems",
        "Users",
        "IsTruncated",
    )
    with pytest.raises(KeyError):
        paginator_spec("sqs", "SendMessage")


def test_keyed_pages_cover_every_item_once(store):
    table = fill(store, 25)
    pages = walk(
        lambda: names_page(store, {"MaxResults": 10}, table),
        lambda token: names_page(store, {"MaxResults": 10, "NextToken": token}, table),
    )
    assert [len(p["QueueUrls"]) for p in pages] == [10, 10, 5]
    assert [u for p in pages for u in p["QueueUrls"]] == [f"http://q/{n:03d}" for n in range(25)]


def test_a_full_last_page_carries_no_token(store):
    table = fill(store, 10)
    assert "NextToken" not in names_page(store, {"MaxResults": 10}, table)


def test_the_default_limit_applies_without_the_limit_member(store):
    table = fill(store, 3)
    page = paginate_keys(
        store,
        "sqs",
        "ListQueues",
        {},
        lambda after: table.scan("000000000000/us-east-1", start_after=after),
        bad_token=BadToken,
        default_limit=2,
    )
    assert len(page["QueueUrls"]) == 2 and "NextToken" in page


def test_a_keyed_page_boundary_holds_when_items_are_removed(store):
    table = fill(store, 4)
    token = names_page(store, {"MaxResults": 2}, table)["NextToken"]
    table.delete("000000000000/us-east-1", "q001")  # the last item of the first page
    assert names_page(store, {"MaxResults": 2, "NextToken": token}, table)["QueueUrls"] == [
        "http://q/002",
        "http://q/003",
    ]


def test_tokens_are_base64url(store):
    token = names_page(store, {"MaxResults": 1}, fill(store, 2))["NextToken"]
    assert set(token) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def test_every_flipped_byte_is_refused(store):
    table = fill(store, 3)
    token = names_page(store, {"MaxResults": 1}, table)["NextToken"]
    raw = bytearray(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    for index in range(len(raw)):
        for bit in (0x01, 0x80):
            forged = bytearray(raw)
            forged[index] ^= bit
            text = base64.urlsafe_b64encode(bytes(forged)).decode().rstrip("=")
            with pytest.raises(BadToken):
                names_page(store, {"NextToken": text}, table)


def test_a_forged_position_is_refused(store):
    table = fill(store, 3)
    token = names_page(store, {"MaxResults": 1}, table)["NextToken"]
    raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    forged = base64.urlsafe_b64encode(raw[:16] + b'"q001"').decode()
    with pytest.raises(BadToken):
        names_page(store, {"NextToken": forged}, table)


@pytest.mark.parametrize("token", ["x", "not base64!", "AAAA", "=", "ab\u00e9", 5])
def test_garbage_is_refused(store, token):
    with pytest.raises(BadToken):
        names_page(store, {"NextToken": token}, fill(store, 1))


def test_a_token_is_only_good_for_its_operation_and_request(store):
    table = fill(store, 3)
    token = names_page(store, {"MaxResults": 1}, table, bind="q")["NextToken"]
    with pytest.raises(BadToken):
        names_page(store, {"NextToken": token}, table, bind="other-prefix")
    with pytest.raises(BadToken):
        paginate_list(
            store,
            "sqs",
            "ListDeadLetterSourceQueues",
            {"NextToken": token},
            [1, 2],
            bad_token=BadToken,
            default_limit=1,
        )
    assert names_page(store, {"NextToken": token}, table, bind="q")["QueueUrls"][0] == "http://q/001"


def test_tokens_survive_a_restart_of_the_same_data_dir_only(tmp_path):
    with Store.open(tmp_path / "one") as first:
        token = encode_token(first, "ListQueues", "q007")
    with Store.open(tmp_path / "one") as again:
        assert decode_token(again, "ListQueues", token) == "q007"
    with Store.open(tmp_path / "two") as other, pytest.raises(ValueError):
        decode_token(other, "ListQueues", token)


def test_a_reset_retires_old_tokens(store):
    token = encode_token(store, "ListQueues", "q007")
    store.reset()
    with pytest.raises(ValueError):
        decode_token(store, "ListQueues", token)
    fresh = encode_token(store, "ListQueues", "q007")
    assert decode_token(store, "ListQueues", fresh) == "q007"


def test_list_pages_and_iam_truncation(store):
    items = [{"n": n} for n in range(5)]

    def page(params):
        return paginate_list(
            store,
            "iam",
            "ListUsers",
            params,
            items,
            bad_token=lambda: ServiceError("ValidationError", "Invalid Marker."),
            default_limit=100,
        )

    first = page({"MaxItems": 3})
    assert first["Users"] == items[:3] and first["IsTruncated"] is True
    last = page({"MaxItems": 3, "Marker": first["Marker"]})
    assert last == {"Users": items[3:], "IsTruncated": False}
    assert page({}) == {"Users": items, "IsTruncated": False}
    with pytest.raises(ServiceError) as refused:
        page({"Marker": "3"})
    assert refused.value.code == "ValidationError"


def test_threads_racing_for_the_first_token_share_one_secret(tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    with Store.open(tmp_path) as store:
        with ThreadPoolExecutor(8) as pool:
            tokens = list(pool.map(lambda n: encode_token(store, "ListQueues", f"q{n}"), range(32)))
        assert [decode_token(store, "ListQueues", token) for token in tokens] == [f"q{n}" for n in range(32)]
    with Store.open(tmp_path) as reopened:
        assert decode_token(reopened, "ListQueues", tokens[0]) == "q0"

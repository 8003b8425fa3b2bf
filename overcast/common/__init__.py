"""What every service needs and AWS shapes the same way everywhere, written once. A service
imports these instead of writing its own; each module's docstring shows the calls.

    arns        build_arn(service, region, account, resource), parse_arn(text), partition(region)
    ids         fast_uuid(): UUID-shaped request, message and event ids, cheap on hot paths
                (not for anything a client must not guess: use `secrets` there)
    pagination  paginate_keys() over a store scan, paginate_list() over a list: opaque,
                tamper-checked tokens; botocore's paginators-1.json names the token, limit and
                result members. encode_token()/decode_token() for cursors no paginator defines.
    tagging     TagRules(refuse=refusals(code, {problem: message})) + tag_map / add_tags /
                remove_tags / tag_list: AWS's tag limits, answered with each service's errors
    times       iso_millis / iso_seconds / epoch_seconds / epoch_millis / rfc1123

Tokens are signed with a secret kept in the store (table "overcast/secrets"), so they survive a
restart and an export/import, and a reset retires them.
"""

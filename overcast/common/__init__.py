"""What every service needs and AWS shapes the same way everywhere, written once:

    arns        build_arn / parse_arn / partition (from botocore's partition data)
    ids         fast_uuid: UUID-shaped request and message ids, cheap on hot paths
    pagination  paginate_keys / paginate_list: opaque, tamper-checked tokens, driven by
                botocore's paginator definitions (which member is the token, the limit, the page)
    tagging     TagRules + add_tags / remove_tags / tag_list: AWS's tag limits, each service's
                own errors
    times       iso_millis / iso_seconds / epoch_seconds / epoch_millis / rfc1123

A new service imports these instead of writing its own; see each module's docstring.
"""

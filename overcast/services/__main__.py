"""`python -m overcast.services`: the README's list of the emulated services, made from the code
(the services that have a provider) and botocore's names for them. A test checks the README's
list against it."""

from __future__ import annotations

from overcast.services import implemented


def readme_list() -> str:
    import botocore.session

    session = botocore.session.get_session()
    lines = []
    for name in sorted(implemented()):
        full_name = session.get_service_model(name).metadata.get("serviceFullName", name)
        lines.append(f"- `{name}`: {full_name}")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(readme_list(), end="")

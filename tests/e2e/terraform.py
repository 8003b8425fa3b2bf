"""Running Terraform's real AWS provider against Overcast (DESIGN.md §8): the provider comes from
a local plugin mirror; where the machine has no terraform or no mirror, tests marked with
`requires_terraform` say so and skip."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
from pathlib import Path

import pytest

MIRRORS = ("/opt/tf-plugins", os.path.expanduser("~/.terraform.d/plugins"))


def provider_mirror() -> str | None:
    for mirror in MIRRORS:
        if glob.glob(f"{mirror}/registry.terraform.io/hashicorp/aws/*/*/terraform-provider-aws*"):
            return mirror
    return None


requires_terraform = [
    pytest.mark.skipif(shutil.which("terraform") is None, reason="terraform is not installed"),
    pytest.mark.skipif(
        provider_mirror() is None, reason=f"no AWS provider in a plugin mirror ({', '.join(MIRRORS)})"
    ),
]


def workspace(
    workdir: Path,
    endpoint: str,
    services: tuple[str, ...],
    resources: str,
    region: str = "us-east-1",
    s3_path_style: bool = False,
) -> Path:
    """Writes the CLI config (provider from the mirror only) and main.tf: a provider pointed at
    Overcast for `services` (plus sts, which the provider calls itself), then `resources`."""
    (workdir / "cli.tfrc").write_text(f"""
provider_installation {{
  filesystem_mirror {{
    path    = "{provider_mirror()}"
    include = ["registry.terraform.io/hashicorp/aws"]
  }}
  direct {{ exclude = ["registry.terraform.io/hashicorp/aws"] }}
}}
""")
    endpoints = "\n".join(f'    {service} = "{endpoint}"' for service in dict.fromkeys((*services, "sts")))
    path_style = "\n  s3_use_path_style           = true" if s3_path_style else ""
    (workdir / "main.tf").write_text(f"""
provider "aws" {{
  region                      = "{region}"
  access_key                  = "test"
  secret_key                  = "test"
  skip_metadata_api_check     = true
  skip_credentials_validation = true
  skip_requesting_account_id  = true{path_style}
  endpoints {{
{endpoints}
  }}
}}
{resources}""")
    return workdir


def terraform(workdir: Path, *args: str) -> str:
    env = {**os.environ, "TF_CLI_CONFIG_FILE": str(workdir / "cli.tfrc"), "TF_IN_AUTOMATION": "1"}
    result = subprocess.run(
        ["terraform", *args, "-no-color"],
        check=False,
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout

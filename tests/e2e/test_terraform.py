"""Terraform with its real AWS provider against Overcast (DESIGN.md §8). The provider comes from
a local plugin mirror; where the machine has no terraform or no mirror the test says so and
skips."""

from __future__ import annotations

import glob
import json
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


pytestmark = [
    pytest.mark.skipif(shutil.which("terraform") is None, reason="terraform is not installed"),
    pytest.mark.skipif(provider_mirror() is None, reason=f"no AWS provider in a plugin mirror ({', '.join(MIRRORS)})"),
]


def terraform(workdir: Path, *args: str) -> str:
    env = {**os.environ, "TF_CLI_CONFIG_FILE": str(workdir / "cli.tfrc"), "TF_IN_AUTOMATION": "1"}
    result = subprocess.run(["terraform", *args, "-no-color"], cwd=workdir, env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_caller_identity_data_source(endpoint, tmp_path):
    (tmp_path / "cli.tfrc").write_text(f"""
provider_installation {{
  filesystem_mirror {{
    path    = "{provider_mirror()}"
    include = ["registry.terraform.io/hashicorp/aws"]
  }}
  direct {{ exclude = ["registry.terraform.io/hashicorp/aws"] }}
}}
""")
    (tmp_path / "main.tf").write_text(f"""
provider "aws" {{
  region                  = "eu-west-1"
  access_key              = "test"
  secret_key              = "test"
  skip_metadata_api_check = true
  endpoints {{
    sts = "{endpoint}"
  }}
}}
data "aws_caller_identity" "me" {{}}
output "account" {{ value = data.aws_caller_identity.me.account_id }}
output "arn" {{ value = data.aws_caller_identity.me.arn }}
""")
    terraform(tmp_path, "init", "-input=false")
    terraform(tmp_path, "apply", "-auto-approve", "-input=false")
    outputs = json.loads(terraform(tmp_path, "output", "-json"))
    assert outputs["account"]["value"] == "000000000000"
    assert outputs["arn"]["value"] == "arn:aws:iam::000000000000:root"

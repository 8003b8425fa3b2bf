"""Which SDK v3 packages a Node.js function's code names, and which it bundles itself."""

from __future__ import annotations

import importlib

nodesdk = importlib.import_module("overcast.services.lambda.nodesdk")


def test_packages_named_by_require_import_and_subpaths(tmp_path):
    (tmp_path / "index.js").write_text(
        'const { S3Client } = require("@aws-sdk/client-s3");\n'
        "const lib = require('@aws-sdk/lib-dynamodb');\n"
        'const other = require("aws-sdk-not-v3");\n'
    )
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "app.mjs").write_text('import { x } from "@aws-sdk/util-dynamodb/dist/index.js";\n')
    (tmp_path / "README.md").write_text('"@aws-sdk/client-ignored-not-source"')
    bundled = tmp_path / "node_modules" / "dep"
    bundled.mkdir(parents=True)
    (bundled / "index.js").write_text('require("@aws-sdk/client-bundled-inside")')
    assert nodesdk.named_packages([str(tmp_path)]) == {
        "@aws-sdk/client-s3",
        "@aws-sdk/lib-dynamodb",
        "@aws-sdk/util-dynamodb",
    }


def test_a_package_the_function_bundles_is_not_installed(tmp_path):
    modules = tmp_path / "node_modules"
    (modules / "@aws-sdk" / "client-s3").mkdir(parents=True)
    (modules / "@aws-sdk" / "client-s3" / "package.json").write_text("{}")
    assert nodesdk.bundled("@aws-sdk/client-s3", [str(modules)])
    assert not nodesdk.bundled("@aws-sdk/client-sqs", [str(modules)])

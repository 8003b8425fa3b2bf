"""The AWS-owned documents every account sees (Owner "Amazon"), with the content and parameter
schemas AWS publishes for them in the Systems Manager documentation."""

from __future__ import annotations

from typing import Any

_PORT = "^([1-9]|[1-9][0-9]{1,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])$"
_LOCAL_PORT = "^([0-9]|[1-9][0-9]{1,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])$"
_TIMEOUT_PATTERN = "([1-9][0-9]{0,4})|(1[0-6][0-9]{4})|(17[0-1][0-9]{3})|(172[0-7][0-9]{2})|(172800)"
_ASSUME_ROLE = {
    "type": "String",
    "description": "(Optional) The ARN of the role that allows Automation to perform the actions on your behalf.",
    "default": "",
}


def _script(plugin: str, description: str, commands: str) -> dict[str, Any]:
    return {
        "schemaVersion": "1.2",
        "description": description,
        "parameters": {
            "commands": {
                "type": "StringList",
                "description": commands,
                "minItems": 1,
                "displayType": "textarea",
            },
            "workingDirectory": {
                "type": "String",
                "default": "",
                "description": "(Optional) The path to the working directory on your instance.",
                "maxChars": 4096,
            },
            "executionTimeout": {
                "type": "String",
                "default": "3600",
                "description": "(Optional) The time in seconds for a command to complete before it is considered "
                "to have failed. Default is 3600 (1 hour). Maximum is 172800 (48 hours).",
                "allowedPattern": _TIMEOUT_PATTERN,
            },
        },
        "runtimeConfig": {
            plugin: {
                "properties": [
                    {
                        "id": f"0.{plugin}",
                        "runCommand": "{{ commands }}",
                        "workingDirectory": "{{ workingDirectory }}",
                        "timeoutSeconds": "{{ executionTimeout }}",
                    }
                ]
            }
        },
    }


def _instance_state(description: str, steps: list[tuple[str, str]]) -> dict[str, Any]:
    return {
        "description": description,
        "schemaVersion": "0.3",
        "assumeRole": "{{ AutomationAssumeRole }}",
        "parameters": {
            "InstanceId": {
                "type": "StringList",
                "description": "(Required) EC2 Instance(s) to " + description.split()[0].lower(),
            },
            "AutomationAssumeRole": _ASSUME_ROLE,
        },
        "mainSteps": [
            {
                "name": name,
                "action": "aws:changeInstanceState",
                "inputs": {"InstanceIds": "{{ InstanceId }}", "DesiredState": state},
            }
            for name, state in steps
        ],
    }


def _inventory() -> dict[str, Any]:
    enabled = {
        "applications": "Collect data for installed applications.",
        "awsComponents": "Collect data for AWS Components like amazon-ssm-agent.",
        "networkConfig": "Collect data for Network configurations.",
        "billingInfo": "Collect billing info for license included applications.",
        "windowsUpdates": "Collect data for all Windows Updates.",
        "instanceDetailedInformation": "Collect additional information about the instance, including the CPU "
        "model, speed, and the number of cores, to name a few.",
        "services": "Collect data for service configurations.",
        "windowsRoles": "Collect data for Microsoft Windows role configurations.",
        "customInventory": "Collect data for custom inventory.",
    }
    parameters: dict[str, Any] = {
        name: {
            "type": "String",
            "default": "Enabled",
            "description": f"(Optional) {text}",
            "allowedValues": ["Enabled", "Disabled"],
        }
        for name, text in enabled.items()
    }
    for name, text in (("files", "file"), ("windowsRegistry", "Windows registry")):
        parameters[name] = {
            "type": "String",
            "default": "",
            "description": f"(Optional) Provide a list of {text} inventory paths as JSON.",
            "displayType": "textarea",
        }
    return {
        "schemaVersion": "2.0",
        "description": "Software Inventory Policy Document.",
        "parameters": parameters,
        "mainSteps": [
            {
                "action": "aws:softwareInventory",
                "name": "collectSoftwareInventoryItems",
                "inputs": {name: f"{{{{ {name} }}}}" for name in parameters},
            }
        ],
    }


#: name → (document type, content, target type).
DOCUMENTS: dict[str, tuple[str, dict[str, Any], str | None]] = {
    "AWS-RunShellScript": (
        "Command",
        _script(
            "aws:runShellScript",
            "Run a shell script or specify the commands to run.",
            "(Required) Specify a shell script or a command to run.",
        ),
        "/AWS::EC2::Instance",
    ),
    "AWS-RunPowerShellScript": (
        "Command",
        _script(
            "aws:runPowerShellScript",
            "Run a PowerShell script or specify the paths to scripts to run.",
            "(Required) Specify the commands to run or the paths to existing scripts on the instance.",
        ),
        "/AWS::EC2::Instance",
    ),
    "AWS-UpdateSSMAgent": (
        "Command",
        {
            "schemaVersion": "1.2",
            "description": "Update the Amazon SSM Agent to the latest version or specified version.",
            "parameters": {
                "version": {
                    "default": "",
                    "description": "(Optional) A specific version of the Amazon SSM Agent to install. If not "
                    "specified, the agent will be updated to the latest version.",
                    "type": "String",
                },
                "allowDowngrade": {
                    "default": "false",
                    "description": "(Optional) Allow the Amazon SSM Agent service to be downgraded to an earlier "
                    "version. If set to false, the service can be upgraded to newer versions only (default). "
                    "If set to true, specify the earlier version.",
                    "type": "String",
                    "allowedValues": ["true", "false"],
                },
            },
            "runtimeConfig": {
                "aws:updateSsmAgent": {
                    "properties": [
                        {
                            "agentName": "amazon-ssm-agent",
                            "source": "https://s3.{Region}.amazonaws.com/amazon-ssm-{Region}/ssm-agent-manifest.json",
                            "allowDowngrade": "{{ allowDowngrade }}",
                            "targetVersion": "{{ version }}",
                        }
                    ]
                }
            },
        },
        "/AWS::EC2::Instance",
    ),
    "AWS-ConfigureAWSPackage": (
        "Command",
        {
            "schemaVersion": "2.2",
            "description": "Install or uninstall a Distributor package. You can install the latest version, default "
            "version, or a version of the package you specify. Packages provided by AWS such as "
            "AmazonCloudWatchAgent, AwsEnaNetworkDriver, and AWSPVDriver are also supported.",
            "parameters": {
                "action": {
                    "description": "(Required) Specify whether or not to install or uninstall the package.",
                    "type": "String",
                    "allowedValues": ["Install", "Uninstall"],
                },
                "installationType": {
                    "description": "(Optional) Specify the type of installation. Uninstall and reinstall: The "
                    "application is taken offline until the reinstallation process completes. In-place update: "
                    "The application is available while new or updated files are added to the installation.",
                    "type": "String",
                    "allowedValues": ["Uninstall and reinstall", "In-place update"],
                    "default": "Uninstall and reinstall",
                },
                "name": {
                    "description": "(Required) The package to install/uninstall.",
                    "type": "String",
                    "allowedPattern": "^arn:[a-z0-9][-.a-z0-9]{0,62}:[a-z0-9][-.a-z0-9]{0,62}:"
                    "([a-z0-9][-.a-z0-9]{0,62})?:([a-z0-9][-.a-z0-9]{0,62})?:(package|document)\\/"
                    "[a-zA-Z0-9/:.\\-_]{1,128}$|^[a-zA-Z0-9/:.\\-_]{1,128}$",
                },
                "version": {
                    "description": "(Optional) The version of the package to install or uninstall. If you don't "
                    "specify a version, the system installs the latest published version by default.",
                    "type": "String",
                    "default": "",
                },
                "additionalArguments": {
                    "description": "(Optional) The additional parameters to provide to your install, uninstall, "
                    "or update scripts.",
                    "type": "StringMap",
                    "displayType": "textarea",
                    "default": {},
                    "maxChars": 4096,
                },
            },
            "mainSteps": [
                {
                    "action": "aws:configurePackage",
                    "name": "configurePackage",
                    "inputs": {
                        "name": "{{ name }}",
                        "action": "{{ action }}",
                        "installationType": "{{installationType}}",
                        "version": "{{ version }}",
                        "additionalArguments": "{{ additionalArguments }}",
                    },
                }
            ],
        },
        "/AWS::EC2::Instance",
    ),
    "AWS-GatherSoftwareInventory": ("Policy", _inventory(), "/AWS::EC2::Instance"),
    "AWS-StartInteractiveCommand": (
        "Session",
        {
            "schemaVersion": "1.0",
            "description": "Document to run single interactive command on an instance",
            "sessionType": "InteractiveCommands",
            "parameters": {
                "command": {"type": "String", "description": "The command to run on the instance"}
            },
            "properties": {
                "windows": {"commands": "{{command}}", "runAsElevated": False},
                "linux": {"commands": "{{command}}", "runAsElevated": False},
                "macos": {"commands": "{{command}}", "runAsElevated": False},
            },
        },
        None,
    ),
    "AWS-StartPortForwardingSession": (
        "Session",
        {
            "schemaVersion": "1.0",
            "description": "Document to start port forwarding session over Session Manager",
            "sessionType": "Port",
            "parameters": {
                "portNumber": {
                    "type": "String",
                    "description": "(Optional) Port number of the server on the instance",
                    "allowedPattern": _PORT,
                    "default": "80",
                },
                "localPortNumber": {
                    "type": "String",
                    "description": "(Optional) Port number on local machine to forward traffic to. An open port "
                    "is chosen at run-time if not provided",
                    "allowedPattern": _LOCAL_PORT,
                    "default": "0",
                },
            },
            "properties": {
                "portNumber": "{{ portNumber }}",
                "type": "LocalPortForwarding",
                "localPortNumber": "{{ localPortNumber }}",
            },
        },
        None,
    ),
    "AWS-StartSSHSession": (
        "Session",
        {
            "schemaVersion": "1.0",
            "description": "Document to start SSH session over Session Manager",
            "sessionType": "Port",
            "parameters": {
                "portNumber": {
                    "type": "String",
                    "description": "(Optional) Port number of SSH server on the instance",
                    "allowedPattern": _PORT,
                    "default": "22",
                }
            },
            "properties": {"portNumber": "{{ portNumber }}"},
        },
        None,
    ),
    "AWS-RestartEC2Instance": (
        "Automation",
        _instance_state(
            "Restart EC2 instances(s)", [("stopInstances", "stopped"), ("startInstances", "running")]
        ),
        "/AWS::EC2::Instance",
    ),
    "AWS-StopEC2Instance": (
        "Automation",
        _instance_state("Stop EC2 instances(s)", [("stopInstances", "stopped")]),
        "/AWS::EC2::Instance",
    ),
    "AWS-StartEC2Instance": (
        "Automation",
        _instance_state("Start EC2 instances(s)", [("startInstances", "running")]),
        "/AWS::EC2::Instance",
    ),
}
#: When AWS-owned documents report they were created (a fixed moment, as AWS's are).
CREATED = 1_546_300_800.0  # 2019-01-01T00:00:00Z

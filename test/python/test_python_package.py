"""Promises of the Python package (the cdktf_agent_iam wheel built by `npm run package:python`):

- a Python app declaring a stack synthesizes byte-for-byte the Terraform JSON that the same stack
  declared in TypeScript synthesizes, at stage 2 and at stage 4 (Lambda bundles included);
- bad input reaches Python as a readable exception naming the agent, the field and the fix.

The wheel and PyPI's cdktf, cdktf-cdktf-provider-aws and constructs are installed in the venv that
scripts/python/venv.sh creates; scripts/python/test.sh installs the freshly built wheel and runs this.
"""
import filecmp
import json
import pathlib
import subprocess

import pytest
from cdktf import App

import python_stacks
from cdktf_agent_iam import AgentDelegation, AgentIamStack, AgentIdentityProps, Grant, MaturityStage

HERE = pathlib.Path(__file__).resolve().parent


@pytest.fixture(scope="session")
def typescript_out(tmp_path_factory) -> pathlib.Path:
    out = tmp_path_factory.mktemp("typescript")
    subprocess.run(["node", str(HERE / "typescript_stacks.js"), str(out)], check=True)
    return out


@pytest.fixture(scope="session")
def python_out(tmp_path_factory) -> pathlib.Path:
    out = tmp_path_factory.mktemp("python")
    app = App(outdir=str(out))
    python_stacks.declare(app)
    app.synth()
    return out


def resources(out: pathlib.Path, stack: str) -> dict:
    return json.loads((out / "stacks" / stack / "cdk.tf.json").read_text())["resource"]


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_python_synthesizes_the_same_terraform_json_as_typescript(stack, typescript_out, python_out):
    py = (python_out / "stacks" / stack / "cdk.tf.json").read_bytes()
    ts = (typescript_out / "stacks" / stack / "cdk.tf.json").read_bytes()
    assert py == ts, f"stack {stack}: the Python and TypeScript Terraform JSON differ"


def test_the_stacks_compared_are_the_real_stage_2_and_stage_4_stacks(python_out):
    dev, prod = resources(python_out, "dev"), resources(python_out, "prod")
    assert {"agent-support-triage-dev", "agent-research-dev"} <= {r["name"] for r in dev["aws_iam_role"].values()}
    assert "aws_lambda_function" not in dev, "stage 2 builds no Lambda"
    assert "agent-support-triage-prod" in {r["name"] for r in prod["aws_iam_role"].values()}
    hashes = [f["source_code_hash"] for f in prod["aws_lambda_function"].values()]
    assert len(hashes) >= 4 and all(hashes), "stage 4 ships the token-age, revoker, risk and broker Lambdas"


def test_the_lambda_bundles_python_ships_are_the_typescript_ones(typescript_out, python_out):
    compared = filecmp.dircmp(python_out / "stacks" / "prod" / "assets", typescript_out / "stacks" / "prod" / "assets")

    def differences(d: filecmp.dircmp) -> list:
        found = d.left_only + d.right_only + d.diff_files + d.funny_files
        for sub in d.subdirs.values():
            found += differences(sub)
        return found

    assert compared.common_dirs, "stage 4 writes Lambda assets"
    assert differences(compared) == []


def synth_error(outdir: pathlib.Path, **agent) -> str:
    props = dict(
        name="support-triage",
        owner="support-platform@example.com",
        purpose="Triages incoming support tickets",
        delegation=AgentDelegation(aws_principals=["arn:aws:iam::111122223333:role/agent-orchestrator"]),
    )
    props.update(agent)
    app = App(outdir=str(outdir))
    with pytest.raises(Exception) as raised:
        AgentIamStack(app, "dev", environment="dev", stage=MaturityStage.FOUNDATION, region="us-east-1",
                      agents=[AgentIdentityProps(**props)])
        app.synth()
    return str(raised.value)


def test_an_unknown_action_raises_an_error_naming_the_agent_the_field_and_the_fix(tmp_path):
    message = synth_error(tmp_path, permissions=[Grant.allow(actions=["s3:GetObjekt"], resources=["arn:aws:s3:::b/*"])])
    assert 'agent "support-triage": permissions[0].actions: action "s3:GetObjekt" does not exist; did you mean "s3:GetObject"?' in message


def test_an_invalid_agent_name_raises_an_error_naming_the_agent_and_the_field(tmp_path):
    message = synth_error(tmp_path, name="Support_Triage")
    assert 'agent "Support_Triage": name: must be lower-case letters, digits and hyphens' in message


def test_errors_reach_python_readable_without_a_javascript_stack_trace(tmp_path):
    message = synth_error(tmp_path, owner="")
    assert 'agent "support-triage": owner: is required' in message
    assert "    at " not in message, f"a JavaScript stack trace leaked into the Python error:\n{message}"
    assert "node_modules" not in message

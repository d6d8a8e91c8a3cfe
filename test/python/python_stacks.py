"""The Python side of the parity test: the same stage-2 and stage-4 stacks as typescript_stacks.js,
declared through the cdktf_agent_iam wheel the way a Python user writes them.

Run: python test/python/python_stacks.py <outdir>
"""
import sys

from cdktf import App
from cdktf_agent_iam import (
    AdaptiveOptions,
    AgentDelegation,
    AgentIamStack,
    AgentIdentityProps,
    Grant,
    MaturityStage,
    ServiceDelegation,
    SessionPolicyTemplate,
)

ACCOUNT = "111122223333"
ORCHESTRATOR = f"arn:aws:iam::{ACCOUNT}:role/agent-orchestrator"
TABLE = f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/support-tickets"
QUEUE = f"arn:aws:sqs:us-east-1:{ACCOUNT}:support-replies"
CORPUS = f"arn:aws:s3:::research-corpus-{ACCOUNT}"


def declare(app: App) -> None:
    AgentIamStack(
        app,
        "dev",
        environment="dev",
        stage=MaturityStage.FOUNDATION,
        region="us-east-1",
        agents=[
            AgentIdentityProps(
                name="support-triage",
                owner="support-platform@example.com",
                purpose="Triages incoming support tickets and drafts replies",
                delegation=AgentDelegation(aws_principals=[ORCHESTRATOR]),
                permissions=[Grant.read_dynamo_items(TABLE), Grant.send_to_queue(QUEUE)],
            ),
            AgentIdentityProps(
                name="research",
                owner="ml-research@example.com",
                purpose="Answers research questions from the curated corpus",
                delegation=AgentDelegation(
                    aws_principals=[ORCHESTRATOR],
                    services=[ServiceDelegation(service="bedrock-agentcore.amazonaws.com")],
                ),
                permissions=[Grant.read_s3_prefix(CORPUS, "curated")],
            ),
        ],
    )

    prod = AgentIamStack(
        app,
        "prod",
        environment="prod",
        stage=MaturityStage.ADAPTIVE,
        region="us-east-1",
        adaptive=AdaptiveOptions(
            break_glass_role_arns=[f"arn:aws:iam::{ACCOUNT}:role/security-break-glass"],
            responder_role_arns=[f"arn:aws:iam::{ACCOUNT}:role/incident-responder"],
        ),
    )
    prod.add_agent(
        name="support-triage",
        owner="support-platform@example.com",
        purpose="Triages incoming support tickets and drafts replies",
        expires_at="2030-06-30",
        session_ttl=900,
        delegation=AgentDelegation(aws_principals=[ORCHESTRATOR], on_behalf_of_patterns=["*@example.com"]),
        permissions=[
            Grant.read_dynamo_items(TABLE),
            Grant.allow(actions=["sqs:SendMessage"], resources=[QUEUE]),
        ],
        session_policies=[
            SessionPolicyTemplate(
                name="read-ticket",
                permissions=[Grant.allow(actions=["dynamodb:GetItem"], resources=[TABLE])],
            )
        ],
    )


if __name__ == "__main__":
    app = App(outdir=sys.argv[1])
    declare(app)
    app.synth()

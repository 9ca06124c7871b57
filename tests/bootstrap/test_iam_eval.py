"""The test evaluator (iam_eval.py) against IAM's documented evaluation rules, so that the
escalation tests in test_deploy_role.py rest on a checked model."""

from __future__ import annotations

import pytest

from tests.bootstrap.iam_eval import decide


def doc(*statements):
    return {"Version": "2012-10-17", "Statement": list(statements)}


ALLOW_ALL = doc({"Effect": "Allow", "Action": "*", "Resource": "*"})


def test_an_explicit_deny_wins_over_any_allow():
    deny = doc({"Effect": "Deny", "Action": "s3:DeleteBucket", "Resource": "arn:aws:s3:::b"})
    assert decide([ALLOW_ALL, deny], "s3:DeleteBucket", "arn:aws:s3:::b") == "ExplicitDeny"
    assert decide([ALLOW_ALL, deny], "s3:DeleteBucket", "arn:aws:s3:::other") == "Allow"


def test_nothing_allowed_is_an_implicit_deny():
    assert decide(
        [doc({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"})], "s3:PutObject", "x"
    ) == ("ImplicitDeny")


def test_a_boundary_intersects_with_the_identity_policy():
    boundary = doc({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"})
    assert decide([ALLOW_ALL], "iam:CreateRole", "arn:aws:iam::1:role/x", boundary=boundary) == "ImplicitDeny"
    assert decide([ALLOW_ALL], "s3:GetObject", "arn:aws:s3:::b/k", boundary=boundary) == "Allow"
    narrow = doc({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"})
    assert decide([narrow], "s3:PutObject", "arn:aws:s3:::b/k", boundary=ALLOW_ALL) == "ImplicitDeny"


def test_action_wildcards_ignore_case_and_resource_wildcards_do_not():
    policy = doc({"Effect": "Allow", "Action": "s3:Get*", "Resource": "arn:aws:s3:::Bucket/*"})
    assert decide([policy], "S3:GETOBJECT", "arn:aws:s3:::Bucket/k") == "Allow"
    assert decide([policy], "s3:GetObject", "arn:aws:s3:::bucket/k") == "ImplicitDeny"


@pytest.mark.parametrize(
    ("operator", "context", "holds"),
    [
        ("StringEquals", {}, False),  # an absent key makes a positive operator false
        ("StringNotEquals", {}, True),  # ... and a negated one true
        ("StringNotEquals", {"k": "v"}, False),
        ("ForAnyValue:StringEquals", {}, False),
        ("ForAllValues:StringEquals", {}, True),
        ("ForAnyValue:StringLike", {"k": ["x", "v"]}, True),
    ],
)
def test_absent_and_multivalued_keys_follow_iams_rules(operator, context, holds):
    policy = doc({"Effect": "Allow", "Action": "a:b", "Resource": "*", "Condition": {operator: {"k": "v"}}})
    assert (decide([policy], "a:b", "r", context) == "Allow") is holds


def test_null_checks_presence_and_arn_like_matches_part_by_part():
    need = doc(
        {
            "Effect": "Allow",
            "Action": "sts:AssumeRole",
            "Resource": "*",
            "Condition": {"Null": {"sts:SourceIdentity": "false"}},
        }
    )
    assert decide([need], "sts:AssumeRole", "r", {"sts:SourceIdentity": "alice"}) == "Allow"
    assert decide([need], "sts:AssumeRole", "r") == "ImplicitDeny"
    arn = doc(
        {
            "Effect": "Allow",
            "Action": "x:y",
            "Resource": "*",
            "Condition": {"ArnLike": {"aws:SourceArn": "arn:aws:s3:::chat-*"}},
        }
    )
    assert decide([arn], "x:y", "r", {"aws:SourceArn": "arn:aws:s3:::chat-media"}) == "Allow"
    assert decide([arn], "x:y", "r", {"aws:SourceArn": "arn:aws:sqs:::chat-media"}) == "ImplicitDeny"


def test_an_operator_the_evaluator_does_not_know_is_an_error_not_a_pass():
    policy = doc(
        {"Effect": "Allow", "Action": "a:b", "Resource": "*", "Condition": {"NumericLessThan": {"k": "3"}}}
    )
    with pytest.raises(ValueError, match="NumericLessThan"):
        decide([policy], "a:b", "r", {"k": "1"})

"""What Terraform (AWS provider 6.x) calls for each resource type and data source the modules use:
the create, read, update, delete and tag calls, and the calls on the other resources a request
names (the key a resource is encrypted with, the role it is handed, the subnet it is placed in).

test_deploy_policies.py checks that every `aws_*` type in modules/ has an entry here and that
the deploy role's policies allow every action of it, evaluated on a resource named the way the
modules name theirs (`chat-<env>-...`, or carrying the project tag where the ARN has no name).
A type added to a module without an entry here fails that test; an entry whose actions the
policies do not allow fails it too.

An entry is `type: (resource ARN, [actions])`; an action is a name (evaluated on the entry's
ARN) or an `(action, ARN)` pair for a call on another resource of the same request.
"""

from __future__ import annotations

ACCOUNT = "123456789012"  # moto's account: what the stack sees as AWS::AccountId
REGION = "us-west-2"
ENV = "prod"
NAME = f"chat-{ENV}"  # the `name` input every unit gets from the root terragrunt.hcl

# What the request carries and what the resource is tagged with: the provider's default_tags
# (root terragrunt.hcl) put `project = chat` and `managed-by = terragrunt` on every resource
# Terraform creates that takes tags.
TAGGED = {
    "aws:RequestTag/project": "chat",
    "aws:RequestTag/managed-by": "terragrunt",
    "aws:ResourceTag/project": "chat",
    "aws:ResourceTag/managed-by": "terragrunt",
    "aws:TagKeys": ["project", "env", "owner", "cost-centre", "managed-by", "Name"],
}


def arn(service: str, resource: str, region: str = REGION, account: str = ACCOUNT) -> str:
    return f"arn:aws:{service}:{region}:{account}:{resource}"


EC2 = lambda resource: arn("ec2", resource)  # noqa: E731
VPC = EC2("vpc/vpc-0a1b2c3d4e5f60718")
SUBNET = EC2("subnet/subnet-0a1b2c3d4e5f60718")
ROUTE_TABLE = EC2("route-table/rtb-0a1b2c3d4e5f60718")
SECURITY_GROUP = EC2("security-group/sg-0a1b2c3d4e5f60718")
SG_RULE = EC2("security-group-rule/sgr-0a1b2c3d4e5f60718")
ELASTIC_IP = EC2("elastic-ip/eipalloc-0a1b2c3d4e5f60718")
NETWORK_ACL = EC2("network-acl/acl-0a1b2c3d4e5f60718")
DEFAULT_NETWORK_ACL = EC2("network-acl/acl-0fedcba9876543210")
KEY = arn("kms", "key/1234abcd-12ab-34cd-56ef-1234567890ab")
ALIAS = arn("kms", f"alias/{NAME}/app")
ROLE = lambda name: f"arn:aws:iam::{ACCOUNT}:role/{NAME}-{name}"  # noqa: E731
LOAD_BALANCER = arn("elasticloadbalancing", f"loadbalancer/app/{NAME}-alb/50dc6c495c0c9188")
TARGET_GROUP = arn("elasticloadbalancing", f"targetgroup/{NAME}-app/73e2d6bc24d8a067")
LISTENER = arn("elasticloadbalancing", f"listener/app/{NAME}-alb/50dc6c495c0c9188/f2f7dc8efc522ab2")
ASG = arn(
    "autoscaling", f"autoScalingGroup:6d6a2f8e-0000-4a5b-9c1d-2e3f4a5b6c7d:autoScalingGroupName/{NAME}-app"
)
LAUNCH_TEMPLATE = EC2("launch-template/lt-0a1b2c3d4e5f60718")
FUNCTION = arn("lambda", f"function:{NAME}-alarm-router")
POWERTOOLS = arn("lambda", "layer:AWSLambdaPowertoolsPythonV3-python311-arm64:27", account="017000801446")
RULE = arn("events", f"rule/{NAME}-alarm-router-tick")
TOPIC = arn("sns", f"{NAME}-alarms")
QUEUE = arn("sqs", f"{NAME}-alarm-router-dlq")
TABLE = arn("dynamodb", f"table/{NAME}-alarm-router-state")
LOG_GROUP = arn("logs", f"log-group:/{NAME}/app")
SECRET = arn("secretsmanager", f"secret:{NAME}/redis/auth-token-20260101-AbCdEf")
RDS_SECRET = arn("secretsmanager", "secret:rds!db-0a1b2c3d-0000-4a5b-9c1d-2e3f4a5b6c7d-AbCdEf")
PARAMETER = arn("ssm", f"parameter/{NAME}/app/DATABASE_HOST")
AMI_PARAMETER = arn(
    "ssm", "parameter/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64", account=""
)
DB = arn("rds", f"db:{NAME}-postgres")
DB_SUBNET_GROUP = arn("rds", f"subgrp:{NAME}-postgres")
DB_PARAMETER_GROUP = arn("rds", f"pg:{NAME}-postgres-16-20260101")
DB_OPTION_GROUP = arn("rds", "og:default:postgres-16")
DB_SNAPSHOT = arn("rds", f"snapshot:{NAME}-postgres-final")
CACHE = lambda resource: arn("elasticache", resource)  # noqa: E731
REPLICATION_GROUP = CACHE(f"replicationgroup:{NAME}-redis")
BUCKET = f"arn:aws:s3:::{NAME}-media-{ACCOUNT}-{REGION}"
CERTIFICATE = arn("acm", "certificate/0a1b2c3d-0000-4a5b-9c1d-2e3f4a5b6c7d", region="us-east-1")
DISTRIBUTION = f"arn:aws:cloudfront::{ACCOUNT}:distribution/E2QWRUHAPOMQZL"
WEB_ACL = arn("wafv2", f"regional/webacl/{NAME}-regional/a1b2c3d4-0000-4a5b-9c1d-2e3f4a5b6c7d")
CLOUDFRONT_WEB_ACL = arn(
    "wafv2", f"global/webacl/{NAME}-cloudfront/a1b2c3d4-0000-4a5b-9c1d-2e3f4a5b6c7d", region="us-east-1"
)
HOSTED_ZONE = "arn:aws:route53:::hostedzone/Z0123456789ABCDEFGHIJ"

# Encrypting with a project key: creating a resource with a customer managed key makes its
# service check the caller's use of the key (a grant for the service, a data key).
USE_KEY = [("kms:DescribeKey", KEY), ("kms:CreateGrant", KEY)]
# Log deliveries (ElastiCache slow/engine logs, WAF logs) to CloudWatch Logs are set up by the
# caller: a delivery, and a resource policy on the log groups for the delivering service.
LOG_DELIVERY = [
    "logs:CreateLogDelivery",
    "logs:GetLogDelivery",
    "logs:UpdateLogDelivery",
    "logs:DeleteLogDelivery",
    "logs:ListLogDeliveries",
    "logs:PutResourcePolicy",
    "logs:DescribeResourcePolicies",
    "logs:DescribeLogGroups",
]
S3_BUCKET_READ = [
    "s3:ListBucket",
    "s3:GetBucketAcl",
    "s3:GetBucketCORS",
    "s3:GetBucketWebsite",
    "s3:GetBucketVersioning",
    "s3:GetAccelerateConfiguration",
    "s3:GetBucketRequestPayment",
    "s3:GetBucketLogging",
    "s3:GetLifecycleConfiguration",
    "s3:GetReplicationConfiguration",
    "s3:GetEncryptionConfiguration",
    "s3:GetBucketObjectLockConfiguration",
    "s3:GetBucketTagging",
    "s3:GetBucketPolicy",
]
TAG_EC2 = ["ec2:CreateTags", "ec2:DeleteTags"]
ELB_TAGS = [
    "elasticloadbalancing:AddTags",
    "elasticloadbalancing:RemoveTags",
    "elasticloadbalancing:DescribeTags",
]
RDS_TAGS = ["rds:AddTagsToResource", "rds:RemoveTagsFromResource", "rds:ListTagsForResource"]
CACHE_TAGS = [
    "elasticache:AddTagsToResource",
    "elasticache:RemoveTagsFromResource",
    "elasticache:ListTagsForResource",
]

RESOURCE_ACTIONS: dict[str, tuple[str, list]] = {
    # --- data sources -------------------------------------------------------------------------
    # sts:GetCallerIdentity needs no permission; partition, region, policy documents and the ELB
    # service account are computed by the provider without a call.
    "data.aws_caller_identity": ("*", []),
    "data.aws_partition": ("*", []),
    "data.aws_region": ("*", []),
    "data.aws_iam_policy_document": ("*", []),
    "data.aws_elb_service_account": ("*", []),
    "data.aws_canonical_user_id": ("*", ["s3:ListAllMyBuckets"]),
    "data.aws_secretsmanager_random_password": ("*", ["secretsmanager:GetRandomPassword"]),
    "data.aws_security_group": (SECURITY_GROUP, ["ec2:DescribeSecurityGroups"]),
    "data.aws_ssm_parameter": (AMI_PARAMETER, ["ssm:GetParameter"]),
    # --- network --------------------------------------------------------------------------------
    "aws_vpc": (
        VPC,
        [
            "ec2:CreateVpc",
            "ec2:DescribeVpcs",
            "ec2:DescribeVpcAttribute",
            "ec2:ModifyVpcAttribute",
            "ec2:DeleteVpc",
            "ec2:DescribeSecurityGroups",
            "ec2:DescribeRouteTables",
            "ec2:DescribeNetworkAcls",
            *TAG_EC2,
        ],
    ),
    "aws_default_security_group": (
        SECURITY_GROUP,
        [
            "ec2:DescribeSecurityGroups",
            "ec2:DescribeSecurityGroupRules",
            "ec2:RevokeSecurityGroupIngress",
            "ec2:RevokeSecurityGroupEgress",
            *TAG_EC2,
        ],
    ),
    "aws_subnet": (
        SUBNET,
        [
            "ec2:CreateSubnet",
            ("ec2:CreateSubnet", VPC),
            "ec2:DescribeSubnets",
            "ec2:ModifySubnetAttribute",
            "ec2:DeleteSubnet",
            *TAG_EC2,
        ],
    ),
    "aws_internet_gateway": (
        EC2("internet-gateway/igw-0a1b2c3d4e5f60718"),
        [
            "ec2:CreateInternetGateway",
            "ec2:AttachInternetGateway",
            ("ec2:AttachInternetGateway", VPC),
            "ec2:DetachInternetGateway",
            ("ec2:DetachInternetGateway", VPC),
            "ec2:DescribeInternetGateways",
            "ec2:DeleteInternetGateway",
            *TAG_EC2,
        ],
    ),
    "aws_eip": (
        ELASTIC_IP,
        [
            "ec2:AllocateAddress",
            "ec2:DescribeAddresses",
            "ec2:DescribeAddressesAttribute",
            "ec2:ReleaseAddress",
            *TAG_EC2,
        ],
    ),
    "aws_nat_gateway": (
        EC2("natgateway/nat-0a1b2c3d4e5f60718"),
        [
            "ec2:CreateNatGateway",
            ("ec2:CreateNatGateway", SUBNET),
            ("ec2:CreateNatGateway", ELASTIC_IP),
            "ec2:DescribeNatGateways",
            "ec2:DeleteNatGateway",
            *TAG_EC2,
        ],
    ),
    "aws_route_table": (
        ROUTE_TABLE,
        [
            "ec2:CreateRouteTable",
            ("ec2:CreateRouteTable", VPC),
            "ec2:DescribeRouteTables",
            "ec2:DeleteRouteTable",
            *TAG_EC2,
        ],
    ),
    "aws_route": (
        ROUTE_TABLE,
        ["ec2:CreateRoute", "ec2:ReplaceRoute", "ec2:DeleteRoute", "ec2:DescribeRouteTables"],
    ),
    "aws_route_table_association": (
        ROUTE_TABLE,
        [
            "ec2:AssociateRouteTable",
            ("ec2:AssociateRouteTable", SUBNET),
            "ec2:ReplaceRouteTableAssociation",
            "ec2:DisassociateRouteTable",
            "ec2:DescribeRouteTables",
        ],
    ),
    "aws_network_acl": (
        NETWORK_ACL,
        [
            "ec2:CreateNetworkAcl",
            ("ec2:CreateNetworkAcl", VPC),
            "ec2:DescribeNetworkAcls",
            "ec2:ReplaceNetworkAclAssociation",
            ("ec2:ReplaceNetworkAclAssociation", SUBNET),
            # subnets go back to the VPC's default ACL, which EC2 made without tags
            ("ec2:ReplaceNetworkAclAssociation", DEFAULT_NETWORK_ACL),
            "ec2:DeleteNetworkAcl",
            *TAG_EC2,
        ],
    ),
    "aws_network_acl_rule": (
        NETWORK_ACL,
        [
            "ec2:CreateNetworkAclEntry",
            "ec2:ReplaceNetworkAclEntry",
            "ec2:DeleteNetworkAclEntry",
            "ec2:DescribeNetworkAcls",
        ],
    ),
    "aws_vpc_endpoint": (
        EC2("vpc-endpoint/vpce-0a1b2c3d4e5f60718"),
        [
            "ec2:CreateVpcEndpoint",
            ("ec2:CreateVpcEndpoint", VPC),
            ("ec2:CreateVpcEndpoint", SUBNET),
            ("ec2:CreateVpcEndpoint", SECURITY_GROUP),
            ("ec2:CreateVpcEndpoint", ROUTE_TABLE),
            "ec2:ModifyVpcEndpoint",
            ("ec2:ModifyVpcEndpoint", ROUTE_TABLE),
            "ec2:DeleteVpcEndpoints",
            "ec2:DescribeVpcEndpoints",
            "ec2:DescribeVpcEndpointServices",
            "ec2:DescribePrefixLists",
            *TAG_EC2,
            # private DNS of an interface endpoint: its AWS-managed private zone joins the VPC
            ("route53:AssociateVPCWithHostedZone", "arn:aws:route53:::hostedzone/Z0987654321ZYXWVUTSRQ"),
        ],
    ),
    "aws_flow_log": (
        EC2("vpc-flow-log/fl-0a1b2c3d4e5f60718"),
        [
            "ec2:CreateFlowLogs",
            ("ec2:CreateFlowLogs", VPC),
            "ec2:DescribeFlowLogs",
            "ec2:DeleteFlowLogs",
            *TAG_EC2,
            ("logs:DescribeLogGroups", LOG_GROUP),
            ("iam:PassRole", ROLE("vpc-flow-logs")),
        ],
    ),
    "aws_security_group": (
        SECURITY_GROUP,
        [
            "ec2:CreateSecurityGroup",
            ("ec2:CreateSecurityGroup", VPC),
            "ec2:DescribeSecurityGroups",
            "ec2:DescribeSecurityGroupRules",
            "ec2:RevokeSecurityGroupEgress",  # the default allow-all egress rule
            "ec2:DescribeNetworkInterfaces",  # waits for interfaces to go before deleting
            "ec2:DeleteSecurityGroup",
            *TAG_EC2,
        ],
    ),
    "aws_vpc_security_group_ingress_rule": (
        SECURITY_GROUP,
        [
            "ec2:AuthorizeSecurityGroupIngress",
            ("ec2:AuthorizeSecurityGroupIngress", SG_RULE),
            "ec2:RevokeSecurityGroupIngress",
            "ec2:ModifySecurityGroupRules",
            ("ec2:ModifySecurityGroupRules", SG_RULE),
            "ec2:DescribeSecurityGroupRules",
            ("ec2:CreateTags", SG_RULE),
            ("ec2:DeleteTags", SG_RULE),
        ],
    ),
    "aws_vpc_security_group_egress_rule": (
        SECURITY_GROUP,
        [
            "ec2:AuthorizeSecurityGroupEgress",
            ("ec2:AuthorizeSecurityGroupEgress", SG_RULE),
            "ec2:RevokeSecurityGroupEgress",
            "ec2:ModifySecurityGroupRules",
            ("ec2:ModifySecurityGroupRules", SG_RULE),
            "ec2:DescribeSecurityGroupRules",
            ("ec2:CreateTags", SG_RULE),
            ("ec2:DeleteTags", SG_RULE),
        ],
    ),
    # --- compute --------------------------------------------------------------------------------
    "aws_launch_template": (
        LAUNCH_TEMPLATE,
        [
            "ec2:CreateLaunchTemplate",
            "ec2:CreateLaunchTemplateVersion",
            "ec2:ModifyLaunchTemplate",
            "ec2:DeleteLaunchTemplate",
            "ec2:DescribeLaunchTemplates",
            "ec2:DescribeLaunchTemplateVersions",
            *TAG_EC2,
            ("iam:PassRole", ROLE("app")),
        ],
    ),
    # An Auto Scaling group with a launch template launches with its service-linked role, but
    # checks first that the caller could launch that template (RunInstances, PassRole).
    "aws_autoscaling_group": (
        ASG,
        [
            "autoscaling:CreateAutoScalingGroup",
            "autoscaling:UpdateAutoScalingGroup",
            "autoscaling:DeleteAutoScalingGroup",
            "autoscaling:DescribeAutoScalingGroups",
            "autoscaling:DescribeScalingActivities",
            "autoscaling:DescribeLifecycleHooks",
            "autoscaling:DescribeWarmPool",
            "autoscaling:DescribeTrafficSources",
            "autoscaling:AttachTrafficSources",
            "autoscaling:DetachTrafficSources",
            "autoscaling:DescribeLoadBalancers",
            "autoscaling:DescribeLoadBalancerTargetGroups",
            "autoscaling:AttachLoadBalancerTargetGroups",
            "autoscaling:DetachLoadBalancerTargetGroups",
            "autoscaling:EnableMetricsCollection",
            "autoscaling:DisableMetricsCollection",
            "autoscaling:StartInstanceRefresh",
            "autoscaling:CancelInstanceRefresh",
            "autoscaling:DescribeInstanceRefreshes",
            "autoscaling:SetInstanceProtection",
            "autoscaling:CreateOrUpdateTags",
            "autoscaling:DeleteTags",
            "autoscaling:DescribeTags",
            ("ec2:RunInstances", LAUNCH_TEMPLATE),
            ("ec2:RunInstances", EC2("instance/i-0a1b2c3d4e5f60718")),
            ("ec2:RunInstances", EC2("volume/vol-0a1b2c3d4e5f60718")),
            ("ec2:RunInstances", EC2("network-interface/eni-0a1b2c3d4e5f60718")),
            ("ec2:RunInstances", SUBNET),
            ("ec2:RunInstances", SECURITY_GROUP),
            ("ec2:RunInstances", arn("ec2", "image/ami-0a1b2c3d4e5f60718", account="")),
            ("ec2:CreateTags", EC2("instance/i-0a1b2c3d4e5f60718")),
            ("ec2:DescribeLaunchTemplateVersions", LAUNCH_TEMPLATE),
            ("ec2:DescribeInstances", "*"),
            ("elasticloadbalancing:DescribeTargetHealth", "*"),
            ("iam:PassRole", ROLE("app")),
        ],
    ),
    "aws_autoscaling_policy": (
        ASG,
        ["autoscaling:PutScalingPolicy", "autoscaling:DescribePolicies", "autoscaling:DeletePolicy"],
    ),
    "aws_lb": (
        LOAD_BALANCER,
        [
            "elasticloadbalancing:CreateLoadBalancer",
            "elasticloadbalancing:DescribeLoadBalancers",
            "elasticloadbalancing:DescribeLoadBalancerAttributes",
            "elasticloadbalancing:ModifyLoadBalancerAttributes",
            "elasticloadbalancing:DescribeCapacityReservation",
            "elasticloadbalancing:SetSecurityGroups",
            "elasticloadbalancing:SetSubnets",
            "elasticloadbalancing:SetIpAddressType",
            "elasticloadbalancing:DeleteLoadBalancer",
            *ELB_TAGS,
        ],
    ),
    "aws_lb_target_group": (
        TARGET_GROUP,
        [
            "elasticloadbalancing:CreateTargetGroup",
            "elasticloadbalancing:DescribeTargetGroups",
            "elasticloadbalancing:DescribeTargetGroupAttributes",
            "elasticloadbalancing:ModifyTargetGroup",
            "elasticloadbalancing:ModifyTargetGroupAttributes",
            "elasticloadbalancing:DeleteTargetGroup",
            *ELB_TAGS,
        ],
    ),
    "aws_lb_listener": (
        LISTENER,
        [
            "elasticloadbalancing:CreateListener",
            ("elasticloadbalancing:CreateListener", LOAD_BALANCER),
            "elasticloadbalancing:DescribeListeners",
            "elasticloadbalancing:DescribeListenerAttributes",
            "elasticloadbalancing:ModifyListener",
            "elasticloadbalancing:ModifyListenerAttributes",
            "elasticloadbalancing:DeleteListener",
            *ELB_TAGS,
        ],
    ),
    "aws_acm_certificate": (
        CERTIFICATE,
        [
            "acm:RequestCertificate",
            "acm:DescribeCertificate",
            "acm:ListTagsForCertificate",
            "acm:AddTagsToCertificate",
            "acm:RemoveTagsFromCertificate",
            "acm:UpdateCertificateOptions",
            "acm:DeleteCertificate",
        ],
    ),
    "aws_acm_certificate_validation": (CERTIFICATE, ["acm:DescribeCertificate"]),
    "aws_lambda_function": (
        FUNCTION,
        [
            "lambda:CreateFunction",
            "lambda:GetFunction",
            "lambda:GetFunctionConfiguration",
            "lambda:GetFunctionCodeSigningConfig",
            "lambda:ListVersionsByFunction",
            "lambda:UpdateFunctionCode",
            "lambda:UpdateFunctionConfiguration",
            "lambda:PutFunctionConcurrency",
            "lambda:DeleteFunctionConcurrency",
            "lambda:DeleteFunction",
            "lambda:TagResource",
            "lambda:UntagResource",
            "lambda:ListTags",
            ("lambda:GetLayerVersion", POWERTOOLS),
            ("iam:PassRole", ROLE("alarm-router")),
            *USE_KEY,
            ("kms:Encrypt", KEY),
        ],
    ),
    "aws_lambda_function_event_invoke_config": (
        FUNCTION,
        [
            "lambda:PutFunctionEventInvokeConfig",
            "lambda:UpdateFunctionEventInvokeConfig",
            "lambda:GetFunctionEventInvokeConfig",
            "lambda:DeleteFunctionEventInvokeConfig",
        ],
    ),
    "aws_lambda_permission": (
        FUNCTION,
        ["lambda:AddPermission", "lambda:RemovePermission", "lambda:GetPolicy"],
    ),
    "aws_cloudwatch_event_rule": (
        RULE,
        [
            "events:PutRule",
            "events:DescribeRule",
            "events:EnableRule",
            "events:DisableRule",
            "events:DeleteRule",
            "events:ListTargetsByRule",
            "events:TagResource",
            "events:UntagResource",
            "events:ListTagsForResource",
        ],
    ),
    "aws_cloudwatch_event_target": (
        RULE,
        ["events:PutTargets", "events:RemoveTargets", "events:ListTargetsByRule"],
    ),
    # --- data -----------------------------------------------------------------------------------
    "aws_db_instance": (
        DB,
        [
            "rds:CreateDBInstance",
            ("rds:CreateDBInstance", DB_SUBNET_GROUP),
            ("rds:CreateDBInstance", DB_PARAMETER_GROUP),
            ("rds:CreateDBInstance", DB_OPTION_GROUP),
            "rds:DescribeDBInstances",
            "rds:ModifyDBInstance",
            ("rds:ModifyDBInstance", DB_PARAMETER_GROUP),
            ("rds:ModifyDBInstance", DB_OPTION_GROUP),
            "rds:RebootDBInstance",
            "rds:DeleteDBInstance",
            ("rds:CreateDBSnapshot", DB_SNAPSHOT),  # the final snapshot
            ("rds:DescribeDBSnapshots", DB_SNAPSHOT),
            *RDS_TAGS,
            ("iam:PassRole", ROLE("rds-monitoring")),
            # the managed master password: RDS creates the secret with the caller's rights
            ("secretsmanager:CreateSecret", RDS_SECRET),
            ("secretsmanager:TagResource", RDS_SECRET),
            ("secretsmanager:DescribeSecret", RDS_SECRET),
            ("secretsmanager:RotateSecret", RDS_SECRET),
            ("secretsmanager:DeleteSecret", RDS_SECRET),
            *USE_KEY,
            ("kms:Decrypt", KEY),
            ("kms:GenerateDataKey", KEY),
        ],
    ),
    "aws_db_subnet_group": (
        DB_SUBNET_GROUP,
        [
            "rds:CreateDBSubnetGroup",
            "rds:DescribeDBSubnetGroups",
            "rds:ModifyDBSubnetGroup",
            "rds:DeleteDBSubnetGroup",
            *RDS_TAGS,
        ],
    ),
    "aws_db_parameter_group": (
        DB_PARAMETER_GROUP,
        [
            "rds:CreateDBParameterGroup",
            "rds:DescribeDBParameterGroups",
            "rds:DescribeDBParameters",
            "rds:ModifyDBParameterGroup",
            "rds:ResetDBParameterGroup",
            "rds:DeleteDBParameterGroup",
            *RDS_TAGS,
        ],
    ),
    "aws_elasticache_replication_group": (
        REPLICATION_GROUP,
        [
            "elasticache:CreateReplicationGroup",
            ("elasticache:CreateReplicationGroup", CACHE(f"cluster:{NAME}-redis-001")),
            ("elasticache:CreateReplicationGroup", CACHE(f"parametergroup:{NAME}-redis-redis7-1")),
            ("elasticache:CreateReplicationGroup", CACHE(f"subnetgroup:{NAME}-redis")),
            ("elasticache:CreateReplicationGroup", CACHE(f"usergroup:{NAME}-redis")),
            "elasticache:DescribeReplicationGroups",
            ("elasticache:DescribeCacheClusters", CACHE(f"cluster:{NAME}-redis-001")),
            "elasticache:ModifyReplicationGroup",
            ("elasticache:ModifyReplicationGroup", CACHE(f"usergroup:{NAME}-redis")),
            "elasticache:IncreaseReplicaCount",
            "elasticache:DecreaseReplicaCount",
            "elasticache:DeleteReplicationGroup",
            ("elasticache:CreateSnapshot", CACHE(f"snapshot:{NAME}-redis-final")),
            *CACHE_TAGS,
            *LOG_DELIVERY,
            *USE_KEY,
        ],
    ),
    "aws_elasticache_subnet_group": (
        CACHE(f"subnetgroup:{NAME}-redis"),
        [
            "elasticache:CreateCacheSubnetGroup",
            "elasticache:DescribeCacheSubnetGroups",
            "elasticache:ModifyCacheSubnetGroup",
            "elasticache:DeleteCacheSubnetGroup",
            *CACHE_TAGS,
        ],
    ),
    "aws_elasticache_parameter_group": (
        CACHE(f"parametergroup:{NAME}-redis-redis7-1"),
        [
            "elasticache:CreateCacheParameterGroup",
            "elasticache:DescribeCacheParameterGroups",
            "elasticache:DescribeCacheParameters",
            "elasticache:ModifyCacheParameterGroup",
            "elasticache:ResetCacheParameterGroup",
            "elasticache:DeleteCacheParameterGroup",
            *CACHE_TAGS,
        ],
    ),
    "aws_elasticache_user": (
        CACHE(f"user:{NAME}-app"),
        [
            "elasticache:CreateUser",
            "elasticache:DescribeUsers",
            "elasticache:ModifyUser",
            "elasticache:DeleteUser",
            *CACHE_TAGS,
        ],
    ),
    "aws_elasticache_user_group": (
        CACHE(f"usergroup:{NAME}-redis"),
        [
            "elasticache:CreateUserGroup",
            ("elasticache:CreateUserGroup", CACHE(f"user:{NAME}-default")),
            "elasticache:DescribeUserGroups",
            "elasticache:ModifyUserGroup",
            ("elasticache:ModifyUserGroup", CACHE(f"user:{NAME}-app")),
            "elasticache:DeleteUserGroup",
            *CACHE_TAGS,
        ],
    ),
    "aws_dynamodb_table": (
        TABLE,
        [
            "dynamodb:CreateTable",
            "dynamodb:DescribeTable",
            "dynamodb:UpdateTable",
            "dynamodb:DeleteTable",
            "dynamodb:DescribeContinuousBackups",
            "dynamodb:UpdateContinuousBackups",
            "dynamodb:DescribeTimeToLive",
            "dynamodb:UpdateTimeToLive",
            "dynamodb:TagResource",
            "dynamodb:UntagResource",
            "dynamodb:ListTagsOfResource",
            *USE_KEY,
        ],
    ),
    "aws_s3_bucket": (
        BUCKET,
        [
            "s3:CreateBucket",
            *S3_BUCKET_READ,
            "s3:PutBucketTagging",
            "s3:PutBucketObjectLockConfiguration",  # object_lock_enabled at creation
            "s3:DeleteBucket",
            # force_destroy empties the bucket first
            "s3:ListBucketVersions",
            ("s3:DeleteObject", f"{BUCKET}/uploads/x"),
            ("s3:DeleteObjectVersion", f"{BUCKET}/uploads/x"),
        ],
    ),
    "aws_s3_bucket_acl": (BUCKET, ["s3:PutBucketAcl", "s3:GetBucketAcl"]),
    "aws_s3_bucket_cors_configuration": (BUCKET, ["s3:PutBucketCORS", "s3:GetBucketCORS"]),
    "aws_s3_bucket_lifecycle_configuration": (
        BUCKET,
        ["s3:PutLifecycleConfiguration", "s3:GetLifecycleConfiguration"],
    ),
    "aws_s3_bucket_logging": (BUCKET, ["s3:PutBucketLogging", "s3:GetBucketLogging"]),
    "aws_s3_bucket_notification": (
        BUCKET,
        ["s3:PutBucketNotification", "s3:GetBucketNotification"],
    ),
    "aws_s3_bucket_object_lock_configuration": (
        BUCKET,
        ["s3:PutBucketObjectLockConfiguration", "s3:GetBucketObjectLockConfiguration"],
    ),
    "aws_s3_bucket_ownership_controls": (
        BUCKET,
        ["s3:PutBucketOwnershipControls", "s3:GetBucketOwnershipControls"],
    ),
    "aws_s3_bucket_policy": (
        BUCKET,
        ["s3:PutBucketPolicy", "s3:GetBucketPolicy", "s3:DeleteBucketPolicy"],
    ),
    "aws_s3_bucket_public_access_block": (
        BUCKET,
        ["s3:PutBucketPublicAccessBlock", "s3:GetBucketPublicAccessBlock"],
    ),
    "aws_s3_bucket_server_side_encryption_configuration": (
        BUCKET,
        ["s3:PutEncryptionConfiguration", "s3:GetEncryptionConfiguration"],
    ),
    "aws_s3_bucket_versioning": (BUCKET, ["s3:PutBucketVersioning", "s3:GetBucketVersioning"]),
    # --- operations -----------------------------------------------------------------------------
    "aws_kms_key": (
        KEY,
        [
            "kms:CreateKey",
            "kms:DescribeKey",
            "kms:GetKeyPolicy",
            "kms:PutKeyPolicy",
            "kms:GetKeyRotationStatus",
            "kms:EnableKeyRotation",
            "kms:DisableKeyRotation",
            "kms:UpdateKeyDescription",
            "kms:EnableKey",
            "kms:DisableKey",
            "kms:ScheduleKeyDeletion",
            "kms:ListResourceTags",
            "kms:TagResource",
            "kms:UntagResource",
        ],
    ),
    "aws_kms_alias": (
        ALIAS,
        [
            "kms:CreateAlias",
            ("kms:CreateAlias", KEY),
            "kms:UpdateAlias",
            ("kms:UpdateAlias", KEY),
            "kms:DeleteAlias",
            ("kms:DeleteAlias", KEY),
            ("kms:ListAliases", "*"),
        ],
    ),
    "aws_cloudwatch_log_group": (
        LOG_GROUP,
        [
            "logs:CreateLogGroup",
            "logs:DescribeLogGroups",
            "logs:PutRetentionPolicy",
            "logs:DeleteRetentionPolicy",
            "logs:AssociateKmsKey",
            "logs:DisassociateKmsKey",
            "logs:DeleteLogGroup",
            "logs:TagResource",
            "logs:UntagResource",
            "logs:ListTagsForResource",
            ("logs:CreateLogGroup", arn("logs", f"log-group:/aws/lambda/{NAME}-alarm-router")),
            ("logs:CreateLogGroup", arn("logs", f"log-group:/aws/rds/instance/{NAME}-postgres/postgresql")),
            ("logs:CreateLogGroup", arn("logs", f"log-group:aws-waf-logs-{NAME}-cloudfront")),
        ],
    ),
    "aws_cloudwatch_metric_alarm": (
        arn("cloudwatch", f"alarm:{NAME}-critical-alarm-router-errors"),
        [
            "cloudwatch:PutMetricAlarm",
            "cloudwatch:DescribeAlarms",
            "cloudwatch:DeleteAlarms",
            "cloudwatch:TagResource",
            "cloudwatch:UntagResource",
            "cloudwatch:ListTagsForResource",
        ],
    ),
    "aws_cloudwatch_dashboard": (
        f"arn:aws:cloudwatch::{ACCOUNT}:dashboard/{NAME}-service",
        ["cloudwatch:PutDashboard", "cloudwatch:GetDashboard", "cloudwatch:DeleteDashboards"],
    ),
    "aws_sns_topic": (
        TOPIC,
        [
            "sns:CreateTopic",
            "sns:GetTopicAttributes",
            "sns:SetTopicAttributes",
            "sns:DeleteTopic",
            "sns:TagResource",
            "sns:UntagResource",
            "sns:ListTagsForResource",
            *USE_KEY,
        ],
    ),
    "aws_sns_topic_policy": (TOPIC, ["sns:SetTopicAttributes", "sns:GetTopicAttributes"]),
    "aws_sns_topic_subscription": (
        TOPIC,
        [
            "sns:Subscribe",
            ("sns:Unsubscribe", f"{TOPIC}:0a1b2c3d-0000-4a5b-9c1d-2e3f4a5b6c7d"),
            ("sns:GetSubscriptionAttributes", f"{TOPIC}:0a1b2c3d-0000-4a5b-9c1d-2e3f4a5b6c7d"),
            ("sns:SetSubscriptionAttributes", f"{TOPIC}:0a1b2c3d-0000-4a5b-9c1d-2e3f4a5b6c7d"),
        ],
    ),
    "aws_sqs_queue": (
        QUEUE,
        [
            "sqs:CreateQueue",
            "sqs:GetQueueAttributes",
            "sqs:GetQueueUrl",
            "sqs:SetQueueAttributes",
            "sqs:DeleteQueue",
            "sqs:TagQueue",
            "sqs:UntagQueue",
            "sqs:ListQueueTags",
            *USE_KEY,
        ],
    ),
    "aws_sqs_queue_policy": (QUEUE, ["sqs:SetQueueAttributes", "sqs:GetQueueAttributes"]),
    "aws_secretsmanager_secret": (
        SECRET,
        [
            "secretsmanager:CreateSecret",
            "secretsmanager:DescribeSecret",
            "secretsmanager:GetResourcePolicy",
            "secretsmanager:UpdateSecret",
            "secretsmanager:DeleteSecret",
            "secretsmanager:TagResource",
            "secretsmanager:UntagResource",
            *USE_KEY,
        ],
    ),
    "aws_secretsmanager_secret_version": (
        SECRET,
        [
            "secretsmanager:PutSecretValue",
            "secretsmanager:GetSecretValue",
            "secretsmanager:DescribeSecret",
            "secretsmanager:UpdateSecretVersionStage",
            ("kms:GenerateDataKey", KEY),
            ("kms:Decrypt", KEY),
        ],
    ),
    "aws_ssm_parameter": (
        PARAMETER,
        [
            "ssm:PutParameter",
            "ssm:GetParameter",
            "ssm:GetParameters",
            "ssm:DeleteParameter",
            "ssm:AddTagsToResource",
            "ssm:RemoveTagsFromResource",
            "ssm:ListTagsForResource",
            ("ssm:DescribeParameters", "*"),
            ("kms:Encrypt", KEY),
            ("kms:Decrypt", KEY),
            ("kms:GenerateDataKey", KEY),
        ],
    ),
    # --- edge -----------------------------------------------------------------------------------
    "aws_cloudfront_distribution": (
        DISTRIBUTION,
        [
            "cloudfront:CreateDistribution",
            "cloudfront:GetDistribution",
            "cloudfront:GetDistributionConfig",
            "cloudfront:UpdateDistribution",
            "cloudfront:DeleteDistribution",
            "cloudfront:TagResource",
            "cloudfront:UntagResource",
            "cloudfront:ListTagsForResource",
            ("wafv2:GetWebACL", CLOUDFRONT_WEB_ACL),
            ("acm:DescribeCertificate", CERTIFICATE),
            # standard logging: CloudFront adds its log delivery to the bucket's ACL as the caller
            ("s3:GetBucketAcl", f"arn:aws:s3:::{NAME}-web-logs-{ACCOUNT}-{REGION}"),
            ("s3:PutBucketAcl", f"arn:aws:s3:::{NAME}-web-logs-{ACCOUNT}-{REGION}"),
        ],
    ),
    "aws_cloudfront_origin_access_control": (
        f"arn:aws:cloudfront::{ACCOUNT}:origin-access-control/E2QWRUHAPOMQZL",
        [
            "cloudfront:CreateOriginAccessControl",
            "cloudfront:GetOriginAccessControl",
            "cloudfront:UpdateOriginAccessControl",
            "cloudfront:DeleteOriginAccessControl",
        ],
    ),
    "aws_cloudfront_response_headers_policy": (
        f"arn:aws:cloudfront::{ACCOUNT}:response-headers-policy/0a1b2c3d-0000-4a5b-9c1d-2e3f4a5b6c7d",
        [
            "cloudfront:CreateResponseHeadersPolicy",
            "cloudfront:GetResponseHeadersPolicy",
            "cloudfront:UpdateResponseHeadersPolicy",
            "cloudfront:DeleteResponseHeadersPolicy",
        ],
    ),
    "aws_cloudfront_vpc_origin": (
        f"arn:aws:cloudfront::{ACCOUNT}:vpcorigin/vo_0a1b2c3d4e5f60718",
        [
            "cloudfront:CreateVpcOrigin",
            "cloudfront:GetVpcOrigin",
            "cloudfront:UpdateVpcOrigin",
            "cloudfront:DeleteVpcOrigin",
            "cloudfront:TagResource",
            "cloudfront:ListTagsForResource",
            ("elasticloadbalancing:DescribeLoadBalancers", "*"),
        ],
    ),
    "aws_wafv2_web_acl": (
        WEB_ACL,
        [
            "wafv2:CreateWebACL",
            ("wafv2:CreateWebACL", arn("wafv2", "regional/managedruleset/*/*")),
            "wafv2:GetWebACL",
            "wafv2:UpdateWebACL",
            ("wafv2:UpdateWebACL", arn("wafv2", "regional/managedruleset/*/*")),
            "wafv2:DeleteWebACL",
            "wafv2:TagResource",
            "wafv2:UntagResource",
            "wafv2:ListTagsForResource",
        ],
    ),
    "aws_wafv2_web_acl_association": (
        WEB_ACL,
        [
            "wafv2:AssociateWebACL",
            ("wafv2:AssociateWebACL", LOAD_BALANCER),
            ("wafv2:DisassociateWebACL", LOAD_BALANCER),
            ("wafv2:GetWebACLForResource", LOAD_BALANCER),
            ("elasticloadbalancing:SetWebAcl", LOAD_BALANCER),
        ],
    ),
    "aws_wafv2_web_acl_logging_configuration": (
        WEB_ACL,
        [
            "wafv2:PutLoggingConfiguration",
            "wafv2:GetLoggingConfiguration",
            "wafv2:DeleteLoggingConfiguration",
            *LOG_DELIVERY,
        ],
    ),
    "aws_route53_record": (
        HOSTED_ZONE,
        [
            "route53:ChangeResourceRecordSets",
            "route53:ListResourceRecordSets",
            "route53:GetHostedZone",
            ("route53:GetChange", "arn:aws:route53:::change/C0123456789ABCDEFGHIJ"),
        ],
    ),
    "aws_route53_health_check": (
        "arn:aws:route53:::healthcheck/0a1b2c3d-0000-4a5b-9c1d-2e3f4a5b6c7d",
        [
            "route53:CreateHealthCheck",
            "route53:GetHealthCheck",
            "route53:UpdateHealthCheck",
            "route53:DeleteHealthCheck",
            "route53:ChangeTagsForResource",
            "route53:ListTagsForResource",
        ],
    ),
    # --- IAM (chat-deploy-iam, which predates this table) ---------------------------------------
    "aws_iam_role": (
        ROLE("app"),
        [
            "iam:CreateRole",
            "iam:GetRole",
            "iam:UpdateRole",
            "iam:UpdateRoleDescription",
            "iam:UpdateAssumeRolePolicy",
            "iam:PutRolePermissionsBoundary",
            "iam:ListRolePolicies",
            "iam:ListAttachedRolePolicies",
            "iam:ListInstanceProfilesForRole",
            "iam:DeleteRole",
            "iam:TagRole",
            "iam:UntagRole",
            "iam:ListRoleTags",
        ],
    ),
    "aws_iam_role_policy": (
        ROLE("app"),
        ["iam:PutRolePolicy", "iam:GetRolePolicy", "iam:DeleteRolePolicy"],
    ),
    "aws_iam_role_policy_attachment": (
        ROLE("rds-monitoring"),
        [
            "iam:AttachRolePolicy",
            "iam:DetachRolePolicy",
            "iam:ListAttachedRolePolicies",
            ("iam:GetPolicy", "arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole"),
        ],
    ),
    "aws_iam_instance_profile": (
        f"arn:aws:iam::{ACCOUNT}:instance-profile/{NAME}-app",
        [
            "iam:CreateInstanceProfile",
            "iam:GetInstanceProfile",
            "iam:AddRoleToInstanceProfile",
            "iam:RemoveRoleFromInstanceProfile",
            "iam:DeleteInstanceProfile",
            "iam:TagInstanceProfile",
            "iam:UntagInstanceProfile",
            "iam:ListInstanceProfileTags",
        ],
    ),
}

# The context each call is made in, beyond the project tags: a role is passed to the service
# the module runs it in; a role is created and given policies with the workload boundary.
WORKLOAD_BOUNDARY = f"arn:aws:iam::{ACCOUNT}:policy/chat-workload-boundary"
PASSED_TO = {
    ROLE("app"): "ec2.amazonaws.com",
    ROLE("vpc-flow-logs"): "vpc-flow-logs.amazonaws.com",
    ROLE("alarm-router"): "lambda.amazonaws.com",
    ROLE("rds-monitoring"): "monitoring.rds.amazonaws.com",
}


# Terraform's S3 backend (root terragrunt.hcl): the state and its lock file, encrypted with the
# state key through S3. Not a module's resource type, but every apply's first and last calls.
STATE_BUCKET = f"arn:aws:s3:::chat-tfstate-{ACCOUNT}-{REGION}"
STATE_OBJECT = f"{STATE_BUCKET}/prod/us-west-2/postgres/terraform.tfstate"
STATE_THROUGH_S3 = {
    "kms:ViaService": f"s3.{REGION}.amazonaws.com",
    "kms:EncryptionContext:aws:s3:arn": STATE_BUCKET,
}
BACKEND_ACTIONS = [
    ("s3:ListBucket", STATE_BUCKET),
    ("s3:GetObject", STATE_OBJECT),
    ("s3:PutObject", STATE_OBJECT),
    ("s3:PutObject", f"{STATE_OBJECT}.tflock"),
    ("s3:DeleteObject", f"{STATE_OBJECT}.tflock"),
    ("kms:GenerateDataKey", KEY),
    ("kms:Decrypt", KEY),
]

# Made by EC2 with the VPC, without tags, and adopted by Terraform.
UNTAGGED_DEFAULTS = {DEFAULT_NETWORK_ACL}


def context_for(action: str, resource: str) -> dict:
    if resource in UNTAGGED_DEFAULTS:
        return {}
    context = dict(TAGGED)
    if action == "iam:PassRole":
        context["iam:PassedToService"] = PASSED_TO[resource]
    if action.startswith("iam:"):
        context["iam:PermissionsBoundary"] = WORKLOAD_BOUNDARY
    if action == "iam:AttachRolePolicy":
        context["iam:PolicyARN"] = "arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole"
    if action == "ec2:RunInstances":
        # the Auto Scaling group's check: its launch template, an Amazon Linux AMI
        context["ec2:LaunchTemplate"] = LAUNCH_TEMPLATE
        context["ec2:Owner"] = "amazon"
    return context


def requests():
    """Every (resource type, action, resource ARN, context) the table names, and the backend's."""
    for resource_type, (default_arn, actions) in RESOURCE_ACTIONS.items():
        for entry in actions:
            action, resource = entry if isinstance(entry, tuple) else (entry, default_arn)
            yield resource_type, action, resource, context_for(action, resource)
    for action, resource in BACKEND_ACTIONS:
        # the state key is the bootstrap's: no Terraform tags; reached only through S3
        context = STATE_THROUGH_S3 if action.startswith("kms:") else {}
        yield "S3 backend", action, resource, context


# --- what a plan reads (the plan role, chat-plan) ----------------------------------------------
# A refresh and a plan make a type's reads and nothing else: the Describe/Get/List calls of its
# entry above (test_plan_policies.py checks that chat-plan is allowed each, on the entry's ARN,
# and refused every other action of the table).
READ_VERBS = ("Describe", "Get", "List")
# Reads that return a value rather than a description (a secret's, an object's): the plan role
# makes them only through its own narrow inline statements (the legacy Redis AUTH token, the
# state), never through the read policies it shares with the operator role.
VALUE_READS = {"secretsmanager:GetSecretValue", "s3:GetObject"}
# What the AWS provider may call when it starts, before any resource: the region's and its
# zones' lookups (sts:GetCallerIdentity needs no permission; the roles and policies it manages
# are read through their types' entries).
PROVIDER_READS = [("ec2:DescribeRegions", "*"), ("ec2:DescribeAvailabilityZones", "*")]


# AWS answers these for any caller, whatever its policies say (even an explicit Deny).
NEEDS_NO_PERMISSION = {"sts:GetCallerIdentity"}


def is_read(action: str) -> bool:
    return action.split(":", 1)[1].startswith(READ_VERBS)


def plan_requests():
    """Every (resource type, action, resource ARN, context) a plan makes: the reads of the
    table's entries, of the S3 backend, and the provider's own at start."""
    for resource_type, action, resource, context in requests():
        if is_read(action):
            yield resource_type, action, resource, context
    for action, resource in PROVIDER_READS:
        yield "provider", action, resource, {}


def plan_read_actions() -> set[str]:
    """The actions the read policies the plan and operator roles share grant: the plan's
    reads, but the values the plan role reads through its own statements."""
    return {action for _, action, _, _ in plan_requests()} - VALUE_READS


def write_requests():
    """Every request of the table that is not a read: a plan makes none of them."""
    for request in requests():
        if not is_read(request[1]):
            yield request


# --- by hand, with the deploy role or the operator role --------------------------------------------
# Every `aws <service> <command>` in docs/ (test_deploy_policies.py finds them) and the calls it
# makes, or the reason it makes none with either role; RUN_BY below says which role runs it. A
# call is `(action, ARN)`, or `(action, ARN, context)` for what the request carries beyond the
# project's tags (a key used through a service).
ARTIFACTS = f"arn:aws:s3:::{NAME}-artifacts-20260101abcdef"
RELEASE = f"{ARTIFACTS}/releases/chat-1.4.0.tar.gz"
SITE = f"arn:aws:s3:::{NAME}-web-{ACCOUNT}-us-east-1"
INSTANCE = EC2("instance/i-0a1b2c3d4e5f60718")
DLQ_ROUTER = arn("sqs", f"{NAME}-alarm-router-dlq")
SNAPSHOT = arn("rds", f"snapshot:{NAME}-postgres-202601011200")
RESTORED = arn("rds", f"db:{NAME}-postgres-restored")
# A restore takes a grant on the source's key for RDS; a dead letter is decrypted through SQS.
KEY_FOR_RDS = {"kms:ViaService": f"rds.{REGION}.amazonaws.com", "kms:GrantIsForAWSResource": "true"}
KEY_THROUGH_SQS = {
    "kms:ViaService": f"sqs.{REGION}.amazonaws.com",
    "kms:EncryptionContext:aws:sqs:arn": DLQ_ROUTER,
}
OPERATIONS: dict[str, list[tuple]] = {
    "autoscaling describe-auto-scaling-groups": [("autoscaling:DescribeAutoScalingGroups", "*")],
    "autoscaling describe-instance-refreshes": [("autoscaling:DescribeInstanceRefreshes", "*")],
    "autoscaling rollback-instance-refresh": [("autoscaling:RollbackInstanceRefresh", ASG)],
    "autoscaling set-desired-capacity": [("autoscaling:SetDesiredCapacity", ASG)],
    "autoscaling start-instance-refresh": [("autoscaling:StartInstanceRefresh", ASG)],
    "autoscaling terminate-instance-in-auto-scaling-group": [
        ("autoscaling:TerminateInstanceInAutoScalingGroup", ASG)
    ],
    "autoscaling update-auto-scaling-group": [("autoscaling:UpdateAutoScalingGroup", ASG)],
    "cloudfront create-invalidation": [("cloudfront:CreateInvalidation", DISTRIBUTION)],
    "cloudfront wait": [("cloudfront:GetInvalidation", DISTRIBUTION)],
    "cloudwatch describe-alarms": [("cloudwatch:DescribeAlarms", "*")],  # --state-value: no names
    "elasticache describe-replication-groups": [("elasticache:DescribeReplicationGroups", REPLICATION_GROUP)],
    "elasticache test-failover": [("elasticache:TestFailover", REPLICATION_GROUP)],
    "lambda invoke": [("lambda:InvokeFunction", FUNCTION)],
    "rds add-tags-to-resource": [("rds:AddTagsToResource", SNAPSHOT)],
    "rds create-db-snapshot": [("rds:CreateDBSnapshot", DB), ("rds:CreateDBSnapshot", SNAPSHOT)],
    "rds describe-db-instances": [("rds:DescribeDBInstances", DB)],
    "rds describe-db-snapshots": [("rds:DescribeDBSnapshots", DB)],
    "rds modify-db-instance": [
        ("rds:ModifyDBInstance", DB),
        ("rds:ModifyDBInstance", arn("rds", f"db:{NAME}-postgres-damaged")),  # renamed aside
    ],
    "rds reboot-db-instance": [("rds:RebootDBInstance", DB)],
    "rds restore-db-instance-from-db-snapshot": [
        ("rds:RestoreDBInstanceFromDBSnapshot", RESTORED),
        ("rds:RestoreDBInstanceFromDBSnapshot", SNAPSHOT),
        ("rds:RestoreDBInstanceFromDBSnapshot", DB_SUBNET_GROUP),
        ("rds:RestoreDBInstanceFromDBSnapshot", DB_PARAMETER_GROUP),
        ("rds:RestoreDBInstanceFromDBSnapshot", DB_OPTION_GROUP),
        ("kms:CreateGrant", KEY, KEY_FOR_RDS),
    ],
    "rds restore-db-instance-to-point-in-time": [
        ("rds:RestoreDBInstanceToPointInTime", RESTORED),
        ("rds:RestoreDBInstanceToPointInTime", DB),
        ("rds:RestoreDBInstanceToPointInTime", DB_SUBNET_GROUP),
        ("rds:RestoreDBInstanceToPointInTime", DB_PARAMETER_GROUP),
        ("rds:RestoreDBInstanceToPointInTime", DB_OPTION_GROUP),
        ("kms:CreateGrant", KEY, KEY_FOR_RDS),
    ],
    "rds wait": [("rds:DescribeDBInstances", DB)],
    # releases (delivery.md, scripts/ci/apply.sh; network.md's is the instances' own download)
    "s3 cp": [("s3:PutObject", RELEASE), ("s3:GetObject", RELEASE), ("kms:GenerateDataKey", KEY)],
    "s3 ls": [("s3:ListBucket", ARTIFACTS)],
    "s3 mv": [  # a state key moved with its unit
        (
            "s3:GetObject",
            f"arn:aws:s3:::chat-tfstate-{ACCOUNT}-{REGION}/prod/us-west-2/old/terraform.tfstate",
        ),
        (
            "s3:PutObject",
            f"arn:aws:s3:::chat-tfstate-{ACCOUNT}-{REGION}/prod/us-west-2/new/terraform.tfstate",
        ),
        (
            "s3:DeleteObject",
            f"arn:aws:s3:::chat-tfstate-{ACCOUNT}-{REGION}/prod/us-west-2/old/terraform.tfstate",
        ),
    ],
    "s3 sync": [  # the web client into the site bucket, --delete a day later
        ("s3:ListBucket", SITE),
        ("s3:PutObject", f"{SITE}/assets/app-3f2a.js"),
        ("s3:DeleteObject", f"{SITE}/assets/app-1c9e.js"),
    ],
    "s3api get-bucket-versioning": [
        ("s3:GetBucketVersioning", f"arn:aws:s3:::chat-tfstate-{ACCOUNT}-{REGION}")
    ],
    "s3api head-object": [("s3:GetObject", RELEASE)],
    "secretsmanager put-secret-value": [
        ("secretsmanager:PutSecretValue", arn("secretsmanager", f"secret:{NAME}/alarm-router/slack-AbCdEf"))
    ],
    "service-quotas get-service-quota": [("servicequotas:GetServiceQuota", "*")],
    "service-quotas request-service-quota-increase": [
        ("servicequotas:RequestServiceQuotaIncrease", arn("servicequotas", "lambda/L-B99A9384")),
        ("servicequotas:RequestServiceQuotaIncrease", arn("servicequotas", "ec2/L-1216C47A")),
    ],
    "sns list-subscriptions-by-topic": [("sns:ListSubscriptionsByTopic", arn("sns", f"{NAME}-oncall-email"))],
    "sqs delete-message": [("sqs:DeleteMessage", DLQ_ROUTER)],
    "sqs get-queue-url": [("sqs:GetQueueUrl", DLQ_ROUTER)],
    "sqs receive-message": [("sqs:ReceiveMessage", DLQ_ROUTER), ("kms:Decrypt", KEY, KEY_THROUGH_SQS)],
    "ssm send-command": [
        ("ssm:SendCommand", INSTANCE),
        ("ssm:SendCommand", arn("ssm", "document/AWS-RunShellScript", account="")),
        ("ssm:GetCommandInvocation", "*"),
        ("ssm:ListCommandInvocations", "*"),
    ],
    "ssm start-session": [
        ("ssm:StartSession", INSTANCE),
        ("ssm:StartSession", arn("ssm", "document/SSM-SessionManagerRunShell")),
    ],
    # with the operators' own sign-in, neither role
    "organizations enable-aws-service-access": [],
    "organizations list-accounts-for-parent": [],
    "sts assume-role": [],
    "sts get-caller-identity": [],  # needs no permission
}
# What the docs send people to the console for, with no command to find.
CONSOLE: dict[str, list[tuple[str, str]]] = {
    # runbook.md "Look inside an instance": the app's and the boot's logs in /chat-<env>/app
    "the logs (CloudWatch Logs Insights, log streams)": [
        ("logs:DescribeLogStreams", LOG_GROUP),
        ("logs:FilterLogEvents", LOG_GROUP),
        ("logs:GetLogEvents", f"{LOG_GROUP}:log-stream:i-0a1b2c3d4e5f60718"),
        ("logs:StartQuery", LOG_GROUP),
        ("logs:GetQueryResults", LOG_GROUP),
        ("logs:FilterLogEvents", arn("logs", f"log-group:/aws/lambda/{NAME}-alarm-router")),
    ],
}
# The project's own tools the docs run against AWS (oncall.md, runbook.md "Fail over Redis").
KEY_THROUGH_DYNAMODB = {
    "kms:ViaService": f"dynamodb.{REGION}.amazonaws.com",
    "kms:EncryptionContext:aws:dynamodb:tableName": f"{NAME}-alarm-router-state",
}
TOOLS: dict[str, list[tuple]] = {
    "python -m alarm_router.silences (create, list, expire)": [
        ("dynamodb:PutItem", TABLE),
        ("dynamodb:Query", TABLE),
        ("kms:Decrypt", KEY, KEY_THROUGH_DYNAMODB),  # the table is encrypted with the router's key
        ("sts:GetCallerIdentity", "*"),  # the silence's author
    ],
}
# Instances launched by the group carry its name under the aws: prefix, which only EC2 Auto
# Scaling can set.
FLEET_INSTANCE = {"aws:ResourceTag/aws:autoscaling:groupName": f"{NAME}-app"}
STATE_OBJECTS_PREFIX = f"arn:aws:s3:::chat-tfstate-{ACCOUNT}-"


DEPLOY, OPERATOR = "deploy", "operator"
# Who runs each command: the deploy role (chat-deploy: the pipeline's apply, docs/delivery.md,
# the first-time setup and what changes infrastructure) or the operator role (chat-operator:
# on-call by hand). A read both pages use is run by both; the sign-in commands by neither.
RUN_BY: dict[str, tuple[str, ...]] = {
    "autoscaling describe-auto-scaling-groups": (DEPLOY, OPERATOR),
    "autoscaling describe-instance-refreshes": (DEPLOY, OPERATOR),
    "autoscaling rollback-instance-refresh": (DEPLOY,),
    "autoscaling set-desired-capacity": (OPERATOR,),
    "autoscaling start-instance-refresh": (DEPLOY,),
    "autoscaling terminate-instance-in-auto-scaling-group": (OPERATOR,),
    "autoscaling update-auto-scaling-group": (DEPLOY,),
    "cloudfront create-invalidation": (DEPLOY,),
    "cloudfront wait": (DEPLOY,),
    "cloudwatch describe-alarms": (OPERATOR,),
    "elasticache describe-replication-groups": (OPERATOR,),
    "elasticache test-failover": (OPERATOR,),
    "lambda invoke": (OPERATOR,),
    "rds add-tags-to-resource": (DEPLOY,),
    "rds create-db-snapshot": (DEPLOY,),
    "rds describe-db-instances": (DEPLOY, OPERATOR),
    "rds describe-db-snapshots": (OPERATOR,),
    "rds modify-db-instance": (DEPLOY,),
    "rds reboot-db-instance": (OPERATOR,),
    "rds restore-db-instance-from-db-snapshot": (OPERATOR,),
    "rds restore-db-instance-to-point-in-time": (OPERATOR,),
    "rds wait": (DEPLOY, OPERATOR),
    "s3 cp": (DEPLOY,),
    "s3 ls": (DEPLOY,),
    "s3 mv": (DEPLOY,),
    "s3 sync": (DEPLOY,),
    "s3api get-bucket-versioning": (DEPLOY,),
    "s3api head-object": (DEPLOY,),
    "secretsmanager put-secret-value": (DEPLOY,),
    "service-quotas get-service-quota": (OPERATOR,),
    "service-quotas request-service-quota-increase": (OPERATOR,),
    "sns list-subscriptions-by-topic": (OPERATOR,),
    "sqs delete-message": (OPERATOR,),
    "sqs get-queue-url": (OPERATOR,),
    "sqs receive-message": (OPERATOR,),
    "ssm send-command": (OPERATOR,),
    "ssm start-session": (OPERATOR,),
    "organizations enable-aws-service-access": (),
    "organizations list-accounts-for-parent": (),
    "sts assume-role": (),
    "sts get-caller-identity": (),
    "the logs (CloudWatch Logs Insights, log streams)": (OPERATOR,),
    "python -m alarm_router.silences (create, list, expire)": (OPERATOR,),
}


def operation_requests(role: str | None = None):
    """Every (command, action, resource ARN, context) of OPERATIONS, CONSOLE and TOOLS; with a
    role, those of the commands RUN_BY gives that role."""
    for command, calls in (OPERATIONS | CONSOLE | TOOLS).items():
        if role is not None and role not in RUN_BY[command]:
            continue
        for action, resource, *extra in calls:
            if resource == INSTANCE:
                context = FLEET_INSTANCE
            elif resource.startswith(STATE_OBJECTS_PREFIX):
                context = {}
            else:
                context = dict(TAGGED)
            for more in extra:
                context = {**context, **more}
            yield command, action, resource, context

"""The API catalog: real CloudTrail event names with their real event sources.

Each line of ``_TABLE`` is ``source: EventName EventName ...``. Whether a call is read-only follows
the verb (Get/List/Describe/...), as CloudTrail's own ``readOnly`` does, with the exceptions
listed in ``_WRITE_LIKE_READS``. Lambda names keep their API-version suffix, as CloudTrail
delivers them (``UpdateFunctionCode20150331v2``).
"""

from __future__ import annotations

import re
from typing import NamedTuple

_TABLE = """
sts.amazonaws.com: GetCallerIdentity AssumeRole AssumeRoleWithWebIdentity GetSessionToken
  GetFederationToken
signin.amazonaws.com: ConsoleLogin
iam.amazonaws.com: ListUsers ListRoles ListPolicies ListGroups GetUser GetRole GetPolicy
  GetPolicyVersion ListAttachedUserPolicies ListAttachedRolePolicies ListUserPolicies
  ListRolePolicies ListAccessKeys GetAccessKeyLastUsed ListMFADevices GetAccountSummary
  GetAccountAuthorizationDetails GenerateCredentialReport GetCredentialReport ListAccountAliases
  GetAccountPasswordPolicy ListInstanceProfiles ListGroupsForUser GetLoginProfile CreateUser
  CreateAccessKey AttachUserPolicy AttachRolePolicy PutRolePolicy CreateRole DeleteAccessKey
  CreateLoginProfile UpdateLoginProfile UpdateAssumeRolePolicy PassRole CreatePolicyVersion
  UpdateAccessKey TagRole CreateServiceLinkedRole
s3.amazonaws.com: ListBuckets GetBucketPolicy GetBucketAcl GetBucketLocation GetBucketVersioning
  GetBucketEncryption GetBucketPublicAccessBlock GetBucketLogging GetBucketTagging PutBucketPolicy
  CreateBucket PutBucketTagging PutBucketEncryption DeleteBucketPolicy GetObject PutObject
  HeadObject ListObjects ListObjectsV2 DeleteObject
ec2.amazonaws.com: DescribeInstances DescribeRegions DescribeSecurityGroups DescribeVpcs
  DescribeSubnets DescribeImages DescribeSnapshots DescribeVolumes DescribeKeyPairs
  DescribeAddresses DescribeNetworkInterfaces DescribeInstanceStatus DescribeInstanceTypes
  DescribeAvailabilityZones DescribeRouteTables DescribeLaunchTemplates DescribeTags
  DescribeAccountAttributes GetPasswordData RunInstances StartInstances StopInstances
  TerminateInstances CreateTags CreateSnapshot ModifySnapshotAttribute ModifyImageAttribute
  AuthorizeSecurityGroupIngress CreateSecurityGroup CreateVpc CreateSubnet CreateKeyPair
  ModifyInstanceAttribute DescribeInstanceAttribute CreateLaunchTemplateVersion
  DeleteFlowLogs CreateFlowLogs DescribeFlowLogs
lambda.amazonaws.com: ListFunctions20150331 GetFunction20150331v2 GetPolicy20150331v2
  ListEventSourceMappings20150331 ListTags20170331 ListLayers20181031
  UpdateFunctionCode20150331v2 UpdateFunctionConfiguration20150331v2 AddPermission20150331v2
  CreateFunction20150331 PublishVersion20150331 Invoke
cloudtrail.amazonaws.com: DescribeTrails GetTrailStatus LookupEvents GetEventSelectors
  ListTrails StopLogging DeleteTrail PutEventSelectors StartLogging
guardduty.amazonaws.com: ListDetectors GetDetector ListFindings GetFindings DeleteDetector
  UpdateDetector
secretsmanager.amazonaws.com: ListSecrets DescribeSecret GetSecretValue BatchGetSecretValue
  PutSecretValue
ssm.amazonaws.com: DescribeParameters GetParameter GetParameters GetParametersByPath
  DescribeInstanceInformation SendCommand StartSession ListCommands UpdateInstanceInformation
  GetCommandInvocation
rds.amazonaws.com: DescribeDBInstances DescribeDBSnapshots DescribeDBClusters
  ModifyDBSnapshotAttribute CreateDBSnapshot
kms.amazonaws.com: Decrypt Encrypt GenerateDataKey ListKeys DescribeKey ListAliases
logs.amazonaws.com: CreateLogStream PutLogEvents DescribeLogGroups DescribeLogStreams
  FilterLogEvents
monitoring.amazonaws.com: PutMetricData GetMetricData DescribeAlarms ListMetrics
dynamodb.amazonaws.com: DescribeTable ListTables
ecr.amazonaws.com: GetAuthorizationToken BatchGetImage GetDownloadUrlForLayer
  BatchCheckLayerAvailability PutImage DescribeRepositories InitiateLayerUpload
ecs.amazonaws.com: DescribeServices UpdateService DescribeTaskDefinition RegisterTaskDefinition
  ListClusters DescribeClusters ListTasks
cloudformation.amazonaws.com: DescribeStacks CreateChangeSet ExecuteChangeSet
  DescribeChangeSet DescribeStackEvents ListStacks GetTemplate
organizations.amazonaws.com: DescribeOrganization ListAccounts LeaveOrganization
  ListAccountsForParent DescribeAccount
sns.amazonaws.com: ListTopics Publish
sqs.amazonaws.com: ListQueues GetQueueAttributes
config.amazonaws.com: DescribeConfigRules PutEvaluations DescribeConfigurationRecorders
health.amazonaws.com: DescribeEventAggregates
sso.amazonaws.com: ListAccounts GetRoleCredentials ListAccountRoles
access-analyzer.amazonaws.com: ListAnalyzers ListFindings
ec2.amazonaws.com: GetConsoleOutput RebootInstances CreateVolume AttachVolume DetachVolume
  DeleteVolume CopyImage CopySnapshot DeleteSnapshot ReleaseAddress EnableEbsEncryptionByDefault
  GetEbsEncryptionByDefault
rds.amazonaws.com: ModifyDBInstance RebootDBInstance DescribeDBParameterGroups
  DescribeDBParameters ModifyDBParameterGroup DescribeEvents DescribePendingMaintenanceActions
  DescribeDBEngineVersions RestoreDBInstanceFromDBSnapshot DeleteDBInstance
kms.amazonaws.com: CreateKey CreateAlias UpdateAlias EnableKeyRotation GetKeyRotationStatus
  GetKeyPolicy PutKeyPolicy DisableKey ScheduleKeyDeletion
secretsmanager.amazonaws.com: UpdateSecret
ssm.amazonaws.com: ListCommandInvocations CancelCommand
logs.amazonaws.com: StartQuery GetQueryResults
monitoring.amazonaws.com: DescribeAlarmHistory
config.amazonaws.com: PutConfigurationRecorder PutDeliveryChannel StartConfigurationRecorder
  DescribeConfigurationRecorderStatus
access-analyzer.amazonaws.com: CreateAnalyzer
iam.amazonaws.com: UpdateAccountPasswordPolicy
s3.amazonaws.com: GetAccountPublicAccessBlock PutAccountPublicAccessBlock
health.amazonaws.com: DescribeEvents DescribeAffectedEntities
athena.amazonaws.com: ListDataCatalogs ListWorkGroups GetWorkGroup ListDatabases
  ListTableMetadata GetTableMetadata StartQueryExecution GetQueryExecution GetQueryResults
  StopQueryExecution
glue.amazonaws.com: GetDatabases GetTables GetTable GetPartitions CreateCrawler StartCrawler
  GetCrawler GetCrawlerMetrics
ce.amazonaws.com: GetCostAndUsage GetCostForecast GetDimensionValues GetAnomalyMonitors
  GetAnomalies GetReservationUtilization GetSavingsPlansUtilization GetSavingsPlansCoverage
  GetRightsizingRecommendation
budgets.amazonaws.com: DescribeBudgets CreateBudget DescribeNotificationsForBudget
support.amazonaws.com: DescribeTrustedAdvisorChecks DescribeTrustedAdvisorCheckSummaries
  DescribeTrustedAdvisorCheckResult DescribeSeverityLevels CreateCase DescribeCases
compute-optimizer.amazonaws.com: GetEnrollmentStatus GetRecommendationSummaries
  GetEC2InstanceRecommendations
cloudshell.amazonaws.com: DescribeEnvironments CreateEnvironment GetEnvironmentStatus
  StartEnvironment CreateSession PutCredentials SendHeartBeat GetFileDownloadUrls
backup.amazonaws.com: ListBackupVaults ListRecoveryPointsByBackupVault DescribeRecoveryPoint
  GetRecoveryPointRestoreMetadata StartBackupJob DescribeBackupJob StartRestoreJob
  DescribeRestoreJob
fis.amazonaws.com: ListExperimentTemplates CreateExperimentTemplate StartExperiment
  GetExperiment StopExperiment
acm.amazonaws.com: ListCertificates DescribeCertificate RequestCertificate DeleteCertificate
elasticloadbalancing.amazonaws.com: DescribeLoadBalancers DescribeListeners DescribeTargetHealth
  DescribeListenerCertificates AddListenerCertificates RemoveListenerCertificates
route53.amazonaws.com: ListHostedZones ChangeResourceRecordSets GetChange
securityhub.amazonaws.com: EnableSecurityHub DescribeHub BatchEnableStandards GetEnabledStandards
"""

_READ_VERBS = ("Get", "List", "Describe", "Lookup", "Head", "BatchGet", "Generate", "Filter")
# Calls whose verb reads but which CloudTrail marks readOnly=false, and the reverse.
_WRITE_LIKE_READS = frozenset(
    {
        "GetAuthorizationToken",
        "GenerateDataKey",
        "GetFederationToken",
        "GetSessionToken",
        "GetRoleCredentials",
        "GenerateCredentialReport",
    }
)
_READS_OTHER = frozenset(
    {"Decrypt", "AssumeRole", "AssumeRoleWithWebIdentity", "Invoke", "BatchCheckLayerAvailability"}
)
_DATA_EVENTS = frozenset({"GetObject", "PutObject", "HeadObject", "DeleteObject", "Invoke"})
# Services whose calls CloudTrail records in us-east-1 whatever the caller's region.
GLOBAL_SOURCES = frozenset(
    {
        "iam.amazonaws.com",
        "organizations.amazonaws.com",
        "signin.amazonaws.com",
        "sso.amazonaws.com",
        "route53.amazonaws.com",
    }
)
_VERSION_SUFFIX = re.compile(r"\d{8}(v\d+)?$")
# eventSource -> IAM action prefix, where they differ.
_IAM_PREFIX = {"monitoring.amazonaws.com": "cloudwatch", "signin.amazonaws.com": "signin"}
# eventSource -> endpoint host prefix, where it differs from the source's first label.
_HOST_PREFIX = {"monitoring.amazonaws.com": "monitoring", "ecr.amazonaws.com": "api.ecr"}
# Services with one endpoint for every region, though CloudTrail does not count them global.
_ONE_ENDPOINT = frozenset({"budgets.amazonaws.com"})


class Api(NamedTuple):
    """One CloudTrail event name as its service records it."""

    name: str
    source: str
    read_only: bool
    data_event: bool

    @property
    def base_name(self) -> str:
        """The event name without a Lambda-style API version suffix."""
        return _VERSION_SUFFIX.sub("", self.name)

    @property
    def is_global(self) -> bool:
        """True for services CloudTrail records in us-east-1 (IAM, Organizations, sign-in)."""
        return self.source in GLOBAL_SOURCES


def _read_only(name: str) -> bool:
    if name in _WRITE_LIKE_READS:
        return False
    return name.startswith(_READ_VERBS) or name in _READS_OTHER


def _parse(table: str) -> dict[tuple[str, str], Api]:
    apis: dict[tuple[str, str], Api] = {}
    source = ""
    for line in table.strip().splitlines():
        if ":" in line:
            source, _, names = line.partition(":")
        else:
            names = line
        for name in names.split():
            apis[(source, name)] = Api(name, source, _read_only(name), name in _DATA_EVENTS)
    return apis


CATALOG: dict[tuple[str, str], Api] = _parse(_TABLE)
_BY_NAME: dict[str, Api] = {}
for _api in CATALOG.values():
    _BY_NAME.setdefault(_api.name, _api)


def api(name: str, source: str | None = None) -> Api:
    """The catalogued API by event name (and source, for names two services share)."""
    if source is not None:
        return CATALOG[(source if "." in source else f"{source}.amazonaws.com", name)]
    return _BY_NAME[name]


def iam_action(entry: Api) -> str:
    """The IAM action a call needs, as AccessDenied messages name it (``ec2:DescribeVpcs``)."""
    prefix = _IAM_PREFIX.get(entry.source, entry.source.split(".")[0])
    return f"{prefix}:{entry.base_name}"


def host_header(entry: Api, region: str) -> str:
    """The endpoint a client called, as ``tlsDetails.clientProvidedHostHeader`` shows it."""
    if entry.source == "signin.amazonaws.com":
        return "signin.aws.amazon.com"
    if entry.is_global or entry.source in _ONE_ENDPOINT:
        return entry.source
    prefix = _HOST_PREFIX.get(entry.source, entry.source.split(".")[0])
    return f"{prefix}.{region}.amazonaws.com"

"""The automated-quarantine Lambda handler, in process against moto (IAM, EventBridge Scheduler, CloudWatch Logs).

moto notes (5.x): ``filter_log_events`` does not evaluate JSON filter patterns (a pattern starting with ``{`` matches
every event), but honours ``startTime``. The alarm test therefore only adds noise that the handler must reject on its
own (non-CloudTrail lines, IAM users, AWS services, other accounts, events before the lookback window); a successful
call by a managed role would be returned by moto while AWS would filter it out. Which pattern the handler searched
with is observed on the request instead (``calls``).

``describe_metric_filters`` in moto honours ``logGroupName``, ``metricName`` and ``metricNamespace`` together (and,
like AWS, rejects one of the last two without the other); it knows nothing of dimensions, does not check that the log
group exists, and ``put_metric_filter`` appends instead of replacing a filter of the same name. The handler re-checks
the log group, metric and dimension names of each returned filter itself.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from zero_trust_ai.runtime.quarantine import handler

REGION, ACCOUNT = "eu-west-1", "123456789012"
FUNCTION_ARN = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:ztai-prod-quarantine"
ROLE, TRAINER = "ztai-prod-inference", "ztai-prod-trainer"
BREAK_GLASS, AUDITOR, UNMANAGED = "ztai-prod-break-glass", "ztai-prod-security-auditor", "data-team-etl"
SCHEDULER_ROLE = "ztai-scheduler-invoke-quarantine"
GROUP, TRAIL = "ztai-prod-quarantine", "/ztai/prod/cloudtrail"
DATA_BUCKET = "ztai-prod-data-lake"
ALARM, NO_FILTER_ALARM = "ztai-prod-data-bucket-access-denied", "ztai-prod-unexpected-principal-data-lake"
NAMESPACE, METRIC = "ZTAI/ztai-prod/Security", "DataBucketAccessDenied"
ACCESS_DENIED = ('{ ($.eventSource = "s3.amazonaws.com") && ($.errorCode = "AccessDenied") && '
                 f'($.requestParameters.bucketName = "{DATA_BUCKET}") }}')
WINDOW = 30
# exactly what the function's IAM policy allows (constructs/zero_trust_ai/quarantine_function.py)
ALLOWED_API = frozenset({
    "iam:ListRoleTags", "iam:GetRolePolicy", "iam:PutRolePolicy", "iam:DeleteRolePolicy", "iam:TagRole",
    "iam:UntagRole", "scheduler:CreateSchedule", "scheduler:DeleteSchedule", "logs:DescribeMetricFilters",
    "logs:FilterLogEvents",
})
FINDING_ID = "7ac4c81b5f38b3c0a6f1e2d9c4b2a1e0"
QID = f"gd-{FINDING_ID}"


def role_arn(name: str, account: str = ACCOUNT) -> str:
    return f"arn:aws:iam::{account}:role/{name}"


# EventBridge "GuardDuty Finding" event (shape of the GuardDuty user guide's sample, finding of an EC2 role's
# credentials used outside AWS).
GUARDDUTY_EVENT = json.loads(f"""{{
  "version": "0",
  "id": "4e8b7c22-8c6e-3a0b-6f3c-1c2d8d7a9e10",
  "detail-type": "GuardDuty Finding",
  "source": "aws.guardduty",
  "account": "{ACCOUNT}",
  "time": "2025-06-01T11:58:03Z",
  "region": "{REGION}",
  "resources": [],
  "detail": {{
    "schemaVersion": "2.0",
    "accountId": "{ACCOUNT}",
    "region": "{REGION}",
    "partition": "aws",
    "id": "{FINDING_ID}",
    "arn": "arn:aws:guardduty:{REGION}:{ACCOUNT}:detector/12abc34d567e8fa901bc2d34e56789f0/finding/{FINDING_ID}",
    "type": "UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS",
    "resource": {{
      "resourceType": "AccessKey",
      "accessKeyDetails": {{
        "accessKeyId": "ASIAZ3EXAMPLE7QUARNT",
        "principalId": "AROAZ3EXAMPLEINFERNC:i-0a1b2c3d4e5f67890",
        "userName": "{ROLE}",
        "userType": "AssumedRole"
      }}
    }},
    "service": {{
      "serviceName": "guardduty",
      "detectorId": "12abc34d567e8fa901bc2d34e56789f0",
      "action": {{
        "actionType": "AWS_API_CALL",
        "awsApiCallAction": {{
          "api": "ListBuckets",
          "serviceName": "s3.amazonaws.com",
          "callerType": "Remote IP",
          "errorCode": "AccessDenied",
          "remoteIpDetails": {{
            "ipAddressV4": "198.51.100.23",
            "organization": {{"asn": "64500", "asnOrg": "EXAMPLE-NET", "isp": "Example ISP", "org": "Example ISP"}},
            "country": {{"countryName": "Netherlands"}},
            "city": {{"cityName": "Amsterdam"}},
            "geoLocation": {{"lat": 52.37, "lon": 4.89}}
          }},
          "affectedResources": {{}}
        }}
      }},
      "resourceRole": "TARGET",
      "additionalInfo": {{"value": "{{}}", "type": "default"}},
      "evidence": null,
      "eventFirstSeen": "2025-06-01T11:52:11Z",
      "eventLastSeen": "2025-06-01T11:52:11Z",
      "archived": false,
      "count": 1
    }},
    "severity": 8,
    "createdAt": "2025-06-01T11:58:03.112Z",
    "updatedAt": "2025-06-01T11:58:03.112Z",
    "title": "Credentials for the EC2 instance role {ROLE} used from a remote AWS account.",
    "description": "Credentials created exclusively for an EC2 instance using instance role {ROLE} have been used from external IP address 198.51.100.23."
  }}
}}""")  # noqa: E501

S3_FINDING_ID = "92c5e4a1b07d3f6e8a2b9c1d0e4f7a36"
S3_FINDING_TYPE = "Exfiltration:S3/AnomalousBehavior"
# EventBridge "GuardDuty Finding" event of an S3 Protection finding (CloudTrail S3 data events): resourceType S3Bucket,
# with the caller in accessKeyDetails and the bucket in s3BucketDetails (GuardDuty finding format, S3 finding types).
S3_FINDING_EVENT = json.loads(f"""{{
  "version": "0",
  "id": "0f3a9d1e-6b27-4c1d-9a8e-5d4c3b2a1f09",
  "detail-type": "GuardDuty Finding",
  "source": "aws.guardduty",
  "account": "{ACCOUNT}",
  "time": "2025-06-01T12:14:52Z",
  "region": "{REGION}",
  "resources": [],
  "detail": {{
    "schemaVersion": "2.0",
    "accountId": "{ACCOUNT}",
    "region": "{REGION}",
    "partition": "aws",
    "id": "{S3_FINDING_ID}",
    "arn": "arn:aws:guardduty:{REGION}:{ACCOUNT}:detector/12abc34d567e8fa901bc2d34e56789f0/finding/{S3_FINDING_ID}",
    "type": "{S3_FINDING_TYPE}",
    "resource": {{
      "resourceType": "S3Bucket",
      "accessKeyDetails": {{
        "accessKeyId": "ASIAZ3EXAMPLE4TRAIN7",
        "principalId": "AROAZ3EXAMPLETRAINER:botocore-session-1717243061",
        "userName": "{TRAINER}",
        "userType": "AssumedRole"
      }},
      "s3BucketDetails": [
        {{
          "arn": "arn:aws:s3:::{DATA_BUCKET}",
          "name": "{DATA_BUCKET}",
          "type": "Destination",
          "createdAt": "2024-11-04T09:12:40.000Z",
          "owner": {{"id": "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90"}},
          "tags": [{{"key": "ztai:data-class", "value": "restricted"}}],
          "defaultServerSideEncryption": {{
            "encryptionType": "aws:kms",
            "kmsMasterKeyArn": "arn:aws:kms:{REGION}:{ACCOUNT}:key/1f2e3d4c-5b6a-4987-8a7b-6c5d4e3f2a1b"
          }},
          "publicAccess": {{
            "permissionConfiguration": {{
              "bucketLevelPermissions": {{
                "accessControlList": {{"allowsPublicReadAccess": false, "allowsPublicWriteAccess": false}},
                "bucketPolicy": {{"allowsPublicReadAccess": false, "allowsPublicWriteAccess": false}},
                "blockPublicAccess": {{"ignorePublicAcls": true, "restrictPublicBuckets": true,
                                      "blockPublicAcls": true, "blockPublicPolicy": true}}
              }},
              "accountLevelPermissions": {{
                "blockPublicAccess": {{"ignorePublicAcls": true, "restrictPublicBuckets": true,
                                      "blockPublicAcls": true, "blockPublicPolicy": true}}
              }}
            }},
            "effectivePermission": "NOT_PUBLIC"
          }}
        }}
      ]
    }},
    "service": {{
      "serviceName": "guardduty",
      "detectorId": "12abc34d567e8fa901bc2d34e56789f0",
      "action": {{
        "actionType": "AWS_API_CALL",
        "awsApiCallAction": {{
          "api": "GetObject",
          "serviceName": "s3.amazonaws.com",
          "callerType": "Remote IP",
          "remoteIpDetails": {{
            "ipAddressV4": "198.51.100.23",
            "organization": {{"asn": "64500", "asnOrg": "EXAMPLE-NET", "isp": "Example ISP", "org": "Example ISP"}},
            "country": {{"countryName": "Netherlands"}},
            "city": {{"cityName": "Amsterdam"}},
            "geoLocation": {{"lat": 52.37, "lon": 4.89}}
          }},
          "affectedResources": {{"AWS::S3::Bucket": "{DATA_BUCKET}"}}
        }}
      }},
      "resourceRole": "TARGET",
      "additionalInfo": {{"value": "{{}}", "type": "default"}},
      "evidence": null,
      "eventFirstSeen": "2025-06-01T12:01:17Z",
      "eventLastSeen": "2025-06-01T12:09:44Z",
      "archived": false,
      "count": 1
    }},
    "severity": 8,
    "createdAt": "2025-06-01T12:14:52.301Z",
    "updatedAt": "2025-06-01T12:14:52.301Z",
    "title": "Anomalous S3 data-retrieval API calls by {TRAINER} on bucket {DATA_BUCKET}.",
    "description": "An IAM entity invoked S3 APIs that retrieve data from bucket {DATA_BUCKET} in a suspicious way."
  }}
}}""")

# EventBridge "CloudWatch Alarm State Change" event: the single metric alarm sample of the CloudWatch user guide
# (cloudwatch-and-eventbridge.html), for an alarm on a CloudTrail metric filter's metric (no dimensions).
ALARM_EVENT = json.loads(f"""{{
  "version": "0",
  "id": "c4c1c1c9-6542-e61b-6ef0-8c4d36933a92",
  "detail-type": "CloudWatch Alarm State Change",
  "source": "aws.cloudwatch",
  "account": "{ACCOUNT}",
  "time": "2025-06-01T12:00:00Z",
  "region": "{REGION}",
  "resources": ["arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:{ALARM}"],
  "detail": {{
    "alarmName": "{ALARM}",
    "configuration": {{
      "description": "Access denied on a data-lake bucket (CloudTrail metric filter; see docs/coverage)",
      "metrics": [
        {{
          "id": "30b6c6b2-a864-43a2-4877-c09a1afc3b87",
          "metricStat": {{
            "metric": {{
              "dimensions": {{}},
              "name": "{METRIC}",
              "namespace": "{NAMESPACE}"
            }},
            "period": 300,
            "stat": "Sum"
          }},
          "returnData": true
        }}
      ]
    }},
    "previousState": {{
      "reason": "Threshold Crossed: 1 out of the last 1 datapoints [0.0 (01/06/25 11:50:00)] was not greater than or equal to the threshold (1.0) (minimum 1 datapoint for ALARM -> OK transition).",
      "reasonData": "{{\\"version\\":\\"1.0\\",\\"queryDate\\":\\"2025-06-01T11:55:00.985+0000\\",\\"startDate\\":\\"2025-06-01T11:50:00.000+0000\\",\\"statistic\\":\\"Sum\\",\\"period\\":300,\\"recentDatapoints\\":[0.0],\\"threshold\\":1.0}}",
      "timestamp": "2025-06-01T11:55:00.989+0000",
      "value": "OK"
    }},
    "state": {{
      "reason": "Threshold Crossed: 1 out of the last 1 datapoints [1.0 (01/06/25 11:55:00)] was greater than or equal to the threshold (1.0) (minimum 1 datapoint for OK -> ALARM transition).",
      "reasonData": "{{\\"version\\":\\"1.0\\",\\"queryDate\\":\\"2025-06-01T12:00:00.985+0000\\",\\"startDate\\":\\"2025-06-01T11:55:00.000+0000\\",\\"statistic\\":\\"Sum\\",\\"period\\":300,\\"recentDatapoints\\":[1.0],\\"threshold\\":1.0}}",
      "timestamp": "2025-06-01T12:00:00.989+0000",
      "value": "ALARM"
    }}
  }}
}}""")  # noqa: E501


def cloudtrail_record(identity: dict[str, Any], *, error: str | None = "AccessDenied") -> dict[str, Any]:
    """A CloudTrail record as CloudTrail delivers it to CloudWatch Logs (one record per log event)."""
    record = {
        "eventVersion": "1.09",
        "userIdentity": identity,
        "eventTime": "2025-06-01T11:57:41Z",
        "eventSource": "s3.amazonaws.com",
        "eventName": "GetObject",
        "awsRegion": REGION,
        "sourceIPAddress": "198.51.100.23",
        "userAgent": "aws-cli/2.15.30 Python/3.11.8 Linux/6.1 exe/x86_64",
        "requestParameters": {"bucketName": DATA_BUCKET, "Host": f"{DATA_BUCKET}.s3.{REGION}.amazonaws.com",
                              "key": "features/2025/06/01/part-0000.parquet"},
        "responseElements": None,
        "requestID": "0b0e2c64-7a4d-4a43-9d7e-2f6f5c3c1d11",
        "eventID": "9e3f1a20-5d2b-4c8e-8a8f-7c6b5a4d3e2f",
        "readOnly": True,
        "eventType": "AwsApiCall",
        "managementEvent": False,
        "recipientAccountId": ACCOUNT,
        "eventCategory": "Data",
    }
    if error:
        record["errorCode"] = error
        record["errorMessage"] = "Access Denied"
    return record


def assumed_role(name: str, account: str = ACCOUNT, created: str | None = "2025-06-01T11:30:02Z") -> dict[str, Any]:
    """``userIdentity`` of a role session; ``created``: its ``sessionContext.attributes.creationDate`` or None."""
    identity: dict[str, Any] = {
        "type": "AssumedRole",
        "principalId": "AROAZ3EXAMPLETRAINER:botocore-session-1717243061",
        "arn": f"arn:aws:sts::{account}:assumed-role/{name}/botocore-session-1717243061",
        "accountId": account,
        "accessKeyId": "ASIAZ3EXAMPLE2TRAIN0",
        "sessionContext": {
            "sessionIssuer": {"type": "Role", "principalId": "AROAZ3EXAMPLETRAINER", "arn": role_arn(name, account),
                              "accountId": account, "userName": name},
            "attributes": {"creationDate": created, "mfaAuthenticated": "false"},
        },
    }
    if created is None:
        del identity["sessionContext"]["attributes"]["creationDate"]
    return identity


def put_filter(logs: Any, name: str, pattern: str, *, log_group: str = TRAIL, metric: str = METRIC,
               namespace: str = NAMESPACE, dimensions: dict[str, str] | None = None) -> None:
    """A metric filter as the security-alarms construct creates it (value 1, default 0, unit Count)."""
    transformation: dict[str, Any] = {"metricName": metric, "metricNamespace": namespace, "metricValue": "1",
                                      "defaultValue": 0.0, "unit": "Count"}
    if dimensions:
        transformation["dimensions"] = dimensions
    logs.put_metric_filter(logGroupName=log_group, filterName=name, filterPattern=pattern,
                           metricTransformations=[transformation])


@dataclass
class FakeContext:
    invoked_function_arn: str = FUNCTION_ARN


@dataclass
class Aws:
    iam: Any
    scheduler: Any
    logs: Any
    clock: list[datetime]  # clock[0] is what handler.now() returns
    api: list[str]  # "<service>:<Operation>" of every request made by the handler's clients

    def policies(self, role: str) -> dict[str, Any]:
        names = self.iam.list_role_policies(RoleName=role)["PolicyNames"]
        return {n: self.iam.get_role_policy(RoleName=role, PolicyName=n)["PolicyDocument"] for n in names}

    def tags(self, role: str) -> dict[str, str]:
        return {t["Key"]: t["Value"] for t in self.iam.list_role_tags(RoleName=role)["Tags"]}

    def schedules(self) -> list[str]:
        return [s["Name"] for s in self.scheduler.list_schedules(GroupName=GROUP)["Schedules"]]

    def schedule(self, role: str) -> dict[str, Any]:
        response = self.scheduler.get_schedule(Name=handler.schedule_name(role), GroupName=GROUP)
        response.pop("ResponseMetadata")
        return dict(response)


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[Aws]:
    for key, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                       "AWS_SESSION_TOKEN": "testing", "AWS_DEFAULT_REGION": REGION, "AWS_REGION": REGION}.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    for key, value in {
        "QUARANTINE_WINDOW_MINUTES": str(WINDOW),
        "MANAGED_ROLE_PREFIX": "ztai-prod-",
        "PROTECTED_ROLE_ARNS": f"{role_arn(BREAK_GLASS)}, {role_arn(AUDITOR)}",
        "SCHEDULE_GROUP": GROUP,
        "SCHEDULER_ROLE_ARN": role_arn(SCHEDULER_ROLE),
        "TRAIL_LOG_GROUP": TRAIL,
        "QUARANTINE_ALARMS": f" {ALARM} ,{NO_FILTER_ALARM},",
        "LOOKBACK_MINUTES": "15",
    }.items():
        monkeypatch.setenv(key, value)
    # moto rejects log events older than 14 days, so the frozen instant is today's, to the second.
    clock = [datetime.now(UTC).replace(microsecond=0)]
    monkeypatch.setattr(handler, "now", lambda: clock[0])
    with mock_aws():
        iam = boto3.client("iam")
        trust = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                                    "Principal": {"Service": "ec2.amazonaws.com"}}]})
        for name in (ROLE, TRAINER, BREAK_GLASS, AUDITOR, UNMANAGED, SCHEDULER_ROLE):
            iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust, Tags=[{"Key": "team", "Value": "ml"}])
        logs = boto3.client("logs")
        logs.create_log_group(logGroupName=TRAIL)
        put_filter(logs, ALARM, ACCESS_DENIED)
        scheduler = boto3.client("scheduler")
        scheduler.create_schedule_group(Name=GROUP)
        api: list[str] = []

        def capture(model: Any, **_: Any) -> None:
            api.append(f"{model.service_model.endpoint_prefix}:{model.name}")

        # clients created from now on (the handler's, not the ones above) report every request they make
        session = boto3.DEFAULT_SESSION
        assert session is not None
        session.events.register("provide-client-params", capture)
        yield Aws(iam, scheduler, logs, clock, api)
        session.events.unregister("provide-client-params", capture)
        assert set(api) <= ALLOWED_API, f"outside the function's IAM policy: {sorted(set(api) - ALLOWED_API)}"


@pytest.fixture
def records(caplog: pytest.LogCaptureFixture) -> Iterator[list[dict[str, Any]]]:
    """The handler's structured log lines (parsed), captured at INFO and above."""
    caplog.set_level(logging.INFO, logger="ztai.quarantine")
    lines: list[dict[str, Any]] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append({**json.loads(record.getMessage()), "_level": record.levelname})

    collector = Collect()
    logging.getLogger("ztai.quarantine").addHandler(collector)
    yield lines
    logging.getLogger("ztai.quarantine").removeHandler(collector)


@pytest.fixture
def calls(aws: Aws) -> Iterator[list[tuple[str, dict[str, Any]]]]:
    """(operation, parameters) of every CloudWatch Logs request made by clients created from now on."""
    seen: list[tuple[str, dict[str, Any]]] = []

    def capture(params: dict[str, Any], model: Any, **_: Any) -> None:
        seen.append((model.name, dict(params)))

    session = boto3.DEFAULT_SESSION
    assert session is not None  # set up by the aws fixture's clients; the handler's boto3.client() uses it too
    session.events.register("provide-client-params.cloudwatch-logs", capture)
    yield seen
    session.events.unregister("provide-client-params.cloudwatch-logs", capture)


def invoke(event: Any) -> dict[str, Any]:
    return handler.handle(event, FakeContext())


def guardduty(user_name: str = ROLE, user_type: str = "AssumedRole", **detail: Any) -> dict[str, Any]:
    event = json.loads(json.dumps(GUARDDUTY_EVENT))
    event["detail"]["resource"]["accessKeyDetails"].update(userName=user_name, userType=user_type)
    event["detail"].update(detail)
    return dict(event)


def s3_finding(user_name: str = TRAINER, user_type: str = "AssumedRole", **detail: Any) -> dict[str, Any]:
    event = json.loads(json.dumps(S3_FINDING_EVENT))
    event["detail"]["resource"]["accessKeyDetails"].update(userName=user_name, userType=user_type)
    event["detail"].update(detail)
    return dict(event)


def iso(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def alarm(alarm_name: str = ALARM, state: str = "ALARM", **metric: Any) -> dict[str, Any]:
    """The alarm event, renamed / in another state, with ``metric`` merged into its metricStat.metric."""
    event = json.loads(json.dumps(ALARM_EVENT))
    event["detail"]["alarmName"] = alarm_name
    event["detail"]["state"]["value"] = state
    event["detail"]["configuration"]["metrics"][0]["metricStat"]["metric"].update(metric)
    return dict(event)


def alarm_configuration(configuration: Any) -> dict[str, Any]:
    event = alarm()
    event["detail"]["configuration"] = configuration
    return event


def expected_policies(at: datetime) -> dict[str, Any]:
    return {
        "ztai-quarantine-deny-all": {"Version": "2012-10-17", "Statement": [
            {"Sid": "QuarantineDenyAll", "Effect": "Deny", "Action": "*", "Resource": "*"}]},
        "ztai-quarantine-revoke-sessions": {"Version": "2012-10-17", "Statement": [
            {"Sid": "RevokeSessionsIssuedBeforeQuarantine", "Effect": "Deny", "Action": "*", "Resource": "*",
             "Condition": {"DateLessThan": {"aws:TokenIssueTime": at.strftime("%Y-%m-%dT%H:%M:%SZ")}}}]},
    }


def test_guardduty_finding_quarantines_the_role(aws: Aws, records: list[dict[str, Any]]) -> None:
    at = aws.clock[0]
    result = invoke(guardduty())

    assert [a["action"] for a in result["actions"]] == ["quarantined"]
    assert aws.policies(ROLE) == expected_policies(at)
    release_at = at + timedelta(minutes=WINDOW)
    assert aws.tags(ROLE) == {
        "team": "ml",
        "ztai:quarantined": "true",
        "ztai:quarantine-id": QID,
        "ztai:quarantined-at": at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "ztai:last-quarantined-at": at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "ztai:quarantine-release-at": release_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "ztai:quarantine-reason": "GuardDuty UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS "
                                  f"severity 8 finding {FINDING_ID}",
    }
    schedule = aws.schedule(ROLE)
    assert schedule["Name"] == f"ztai-release-{ROLE}"
    assert schedule["GroupName"] == GROUP
    assert schedule["ScheduleExpression"] == f"at({release_at:%Y-%m-%dT%H:%M:%S})"
    assert schedule["ScheduleExpressionTimezone"] == "UTC"
    assert schedule["FlexibleTimeWindow"] == {"Mode": "OFF"}
    assert schedule["ActionAfterCompletion"] == "DELETE"
    assert schedule["Target"]["Arn"] == FUNCTION_ARN
    assert schedule["Target"]["RoleArn"] == role_arn(SCHEDULER_ROLE)
    assert json.loads(schedule["Target"]["Input"]) == {"ztai_action": "release", "role_name": ROLE,
                                                       "quarantine_id": QID}
    [line] = records
    assert line["action"] == "quarantined" and line["role"] == ROLE and line["quarantine_id"] == QID
    assert line["severity"] == 8 and line["finding_id"] == FINDING_ID
    assert line["finding_type"] == "UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS"
    assert line["release_at"] == release_at.strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.mark.parametrize("finding_type", [
    "Exfiltration:S3/AnomalousBehavior", "Discovery:S3/AnomalousBehavior", "UnauthorizedAccess:S3/TorIPCaller"])
def test_s3_protection_finding_quarantines_the_calling_role(aws: Aws, records: list[dict[str, Any]],
                                                            finding_type: str) -> None:
    at = aws.clock[0]

    result = invoke(s3_finding(type=finding_type))

    assert [(a["action"], a["role"]) for a in result["actions"]] == [("quarantined", TRAINER)]
    assert aws.policies(TRAINER) == expected_policies(at) and aws.policies(ROLE) == {}
    reason = f"GuardDuty {finding_type} severity 8 finding {S3_FINDING_ID} on s3://{DATA_BUCKET}"
    tags = aws.tags(TRAINER)
    assert tags["ztai:quarantined"] == "true" and tags["ztai:quarantine-reason"] == reason
    assert tags["ztai:quarantine-id"] == f"gd-{S3_FINDING_ID}"
    assert json.loads(aws.schedule(TRAINER)["Target"]["Input"])["quarantine_id"] == f"gd-{S3_FINDING_ID}"
    [line] = records
    assert (line["action"], line["role"], line["reason"]) == ("quarantined", TRAINER, reason)
    assert line["buckets"] == [DATA_BUCKET] and line["resource_type"] == "S3Bucket"
    assert line["finding_type"] == finding_type and line["access_key_id"] == "ASIAZ3EXAMPLE4TRAIN7"
    assert {"iam:PutRolePolicy", "iam:TagRole", "scheduler:CreateSchedule"} <= set(aws.api)


def test_s3_protection_finding_of_an_iam_user_is_skipped(aws: Aws, records: list[dict[str, Any]]) -> None:
    result = invoke(s3_finding("ci-deployer", "IAMUser"))

    assert [a["action"] for a in result["actions"]] == ["ignored"]
    [line] = records
    assert (line["principal"], line["user_type"], line["buckets"]) == ("ci-deployer", "IAMUser", [DATA_BUCKET])
    assert all(aws.policies(r) == {} for r in (ROLE, TRAINER)) and aws.schedules() == []


def test_s3_protection_finding_of_another_accounts_role_is_ignored(aws: Aws, records: list[dict[str, Any]]) -> None:
    """A cross-account caller's role name would name whatever role of ours happens to share it."""
    event = s3_finding()
    event["detail"]["service"]["action"]["awsApiCallAction"]["remoteAccountDetails"] = {
        "accountId": "210987654321", "affiliated": False}

    result = invoke(event)

    assert [a["action"] for a in result["actions"]] == ["ignored"]
    [line] = records
    assert (line["caller_account"], line["principal"], line["_level"]) == ("210987654321", TRAINER, "WARNING")
    assert aws.policies(TRAINER) == {} and aws.schedules() == []


def test_access_key_finding_used_from_another_account_still_quarantines(aws: Aws) -> None:
    """InstanceCredentialExfiltration.InsideAWS: our role's key, used from someone else's account."""
    event = guardduty(type="UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.InsideAWS")
    event["detail"]["service"]["action"]["awsApiCallAction"]["remoteAccountDetails"] = {
        "accountId": "210987654321", "affiliated": False}

    assert [a["action"] for a in invoke(event)["actions"]] == ["quarantined"]
    assert aws.policies(ROLE) == expected_policies(aws.clock[0])


def test_finding_without_access_key_details_is_ignored(aws: Aws, records: list[dict[str, Any]]) -> None:
    event = guardduty(type="Backdoor:EC2/C&CActivity.B!DNS", title="C&C activity from an EC2 instance")
    event["detail"]["resource"] = {"resourceType": "Instance", "instanceDetails": {
        "instanceId": "i-0a1b2c3d4e5f67890", "instanceType": "g5.xlarge",
        "iamInstanceProfile": {"arn": f"arn:aws:iam::{ACCOUNT}:instance-profile/{ROLE}", "id": "AIPAZ3EXAMPLEPROFILE"}}}

    result = invoke(event)

    assert [a["action"] for a in result["actions"]] == ["ignored"]
    [line] = records
    assert (line["action"], line["resource_type"], line["_level"]) == ("ignored", "Instance", "INFO")
    assert all(aws.policies(r) == {} for r in (ROLE, TRAINER)) and aws.schedules() == []


def test_revocation_time_rounds_up_to_the_next_second(aws: Aws) -> None:
    at = aws.clock[0]
    aws.clock[0] = at + timedelta(milliseconds=250)  # a token issued at `at` (second precision) must be revoked
    invoke(guardduty())
    assert aws.policies(ROLE) == expected_policies(at + timedelta(seconds=1))


def test_second_identical_event_changes_nothing(aws: Aws, records: list[dict[str, Any]]) -> None:
    invoke(guardduty())
    before = (aws.policies(ROLE), aws.tags(ROLE), aws.schedule(ROLE), aws.schedules())
    aws.clock[0] += timedelta(minutes=5)  # any rewrite would show up as new times

    result = invoke(guardduty())

    assert [a["action"] for a in result["actions"]] == ["already-quarantined"]
    assert (aws.policies(ROLE), aws.tags(ROLE), aws.schedule(ROLE), aws.schedules()) == before
    assert records[-1]["action"] == "already-quarantined" and records[-1]["existing_quarantine_id"] == QID


def test_release_lifts_deny_all_keeps_session_revocation(aws: Aws, records: list[dict[str, Any]]) -> None:
    at = aws.clock[0]
    invoke(guardduty())
    release_event = json.loads(aws.schedule(ROLE)["Target"]["Input"])  # exactly what the Scheduler sends
    aws.clock[0] += timedelta(minutes=WINDOW)

    result = invoke(release_event)

    assert [a["action"] for a in result["actions"]] == ["released"]
    policies = expected_policies(at)
    assert aws.policies(ROLE) == {"ztai-quarantine-revoke-sessions": policies["ztai-quarantine-revoke-sessions"]}
    kept = {"team": "ml", "ztai:quarantined": "false", "ztai:last-quarantine-id": QID,
            "ztai:last-quarantined-at": at.strftime("%Y-%m-%dT%H:%M:%SZ")}
    assert aws.tags(ROLE) == kept
    with pytest.raises(ClientError) as missing:
        aws.schedule(ROLE)
    assert missing.value.response["Error"]["Code"] == "ResourceNotFoundException"

    again = invoke(release_event)

    assert [a["action"] for a in again["actions"]] == ["release-noop"]
    assert aws.tags(ROLE) == kept
    assert [r["action"] for r in records] == ["quarantined", "released", "release-noop"]

    # a later finding quarantines again (the kept revoke-sessions policy is not mistaken for a quarantine)
    assert [a["action"] for a in invoke(guardduty())["actions"]] == ["quarantined"]
    assert aws.policies(ROLE) == expected_policies(aws.clock[0])


def test_stale_release_does_not_lift_a_newer_quarantine(aws: Aws, records: list[dict[str, Any]]) -> None:
    invoke(guardduty())
    before = (aws.policies(ROLE), aws.tags(ROLE), aws.schedule(ROLE))

    result = invoke({"ztai_action": "release", "role_name": ROLE, "quarantine_id": "gd-an-older-finding"})

    assert [a["action"] for a in result["actions"]] == ["release-noop"]
    assert (aws.policies(ROLE), aws.tags(ROLE), aws.schedule(ROLE)) == before
    assert records[-1]["current_quarantine_id"] == QID


def test_incomplete_quarantine_is_completed_on_retry(aws: Aws) -> None:
    """Deny-all written but the attempt died before the tags: the retry completes it, reusing the schedule name."""
    aws.iam.put_role_policy(RoleName=ROLE, PolicyName="ztai-quarantine-deny-all",
                            PolicyDocument=json.dumps(expected_policies(aws.clock[0])["ztai-quarantine-deny-all"]))
    aws.scheduler.create_schedule(
        Name=handler.schedule_name(ROLE), GroupName=GROUP, ScheduleExpression="at(2030-01-01T00:00:00)",
        FlexibleTimeWindow={"Mode": "OFF"}, Target={"Arn": FUNCTION_ARN, "RoleArn": role_arn(SCHEDULER_ROLE)})

    assert [a["action"] for a in invoke(guardduty())["actions"]] == ["quarantined"]

    assert aws.policies(ROLE) == expected_policies(aws.clock[0])
    assert aws.tags(ROLE)["ztai:quarantined"] == "true"
    schedule = aws.schedule(ROLE)
    assert schedule["ScheduleExpression"] == f"at({aws.clock[0] + timedelta(minutes=WINDOW):%Y-%m-%dT%H:%M:%S})"
    assert json.loads(schedule["Target"]["Input"])["quarantine_id"] == QID
    assert schedule["ActionAfterCompletion"] == "DELETE"


def put_trail(aws: Aws, *entries: tuple[datetime, str]) -> None:
    stream = f"{ACCOUNT}_CloudTrail_{REGION}"
    if not aws.logs.describe_log_streams(logGroupName=TRAIL, logStreamNamePrefix=stream)["logStreams"]:
        aws.logs.create_log_stream(logGroupName=TRAIL, logStreamName=stream)
    aws.logs.put_log_events(logGroupName=TRAIL, logStreamName=stream, logEvents=[
        {"timestamp": int(when.timestamp() * 1000), "message": message} for when, message in sorted(entries)])


def requests(calls: list[tuple[str, dict[str, Any]]], operation: str) -> list[dict[str, Any]]:
    return [params for op, params in calls if op == operation]


LOOKUP = {"logGroupName": TRAIL, "metricName": METRIC, "metricNamespace": NAMESPACE}


@pytest.mark.parametrize("dimensions", ["empty", "absent"])
def test_alarm_quarantines_the_offending_role(aws: Aws, records: list[dict[str, Any]],
                                              calls: list[tuple[str, dict[str, Any]]], dimensions: str) -> None:
    now = aws.clock[0]
    iam_user = {"type": "IAMUser", "principalId": "AIDAZ3EXAMPLEUSER001", "arn": f"arn:aws:iam::{ACCOUNT}:user/ci",
                "accountId": ACCOUNT, "accessKeyId": "AKIAZ3EXAMPLEUSER001", "userName": "ci"}
    service = {"type": "AWSService", "invokedBy": "scheduler.amazonaws.com"}
    put_trail(
        aws,
        (now - timedelta(minutes=3), json.dumps(cloudtrail_record(assumed_role(TRAINER)))),  # the offender
        (now - timedelta(minutes=4), json.dumps(cloudtrail_record(iam_user))),
        (now - timedelta(minutes=4), json.dumps(cloudtrail_record(service))),
        (now - timedelta(minutes=2), json.dumps(cloudtrail_record(assumed_role(TRAINER, "210987654321")))),
        (now - timedelta(minutes=2), "CloudTrail log delivery test message"),
        (now - timedelta(minutes=2), '{"eventVersion": "1.09", "userIdentity": "AssumedRole"}'),
        (now - timedelta(minutes=60), json.dumps(cloudtrail_record(assumed_role(ROLE)))),  # before the lookback
    )
    event = alarm()
    if dimensions == "absent":
        del event["detail"]["configuration"]["metrics"][0]["metricStat"]["metric"]["dimensions"]

    result = invoke(event)

    assert [(a["action"], a["role"]) for a in result["actions"]] == [("quarantined", TRAINER)]
    assert aws.policies(TRAINER) == expected_policies(now)
    qid = f"cw-{ALARM}-2025-06-01T12:00:00.989+0000"
    assert aws.tags(TRAINER)["ztai:quarantine-id"] == qid
    assert json.loads(aws.schedule(TRAINER)["Target"]["Input"])["quarantine_id"] == qid
    assert aws.policies(ROLE) == {} and aws.schedules() == [f"ztai-release-{TRAINER}"]
    assert records[-1]["alarm"] == ALARM and records[-1]["metric_filters"] == [ALARM]
    # the pattern comes from CloudWatch Logs, looked up within the trail log group only (the IAM grant's scope)
    assert requests(calls, "DescribeMetricFilters") == [LOOKUP]
    assert [(r["logGroupName"], r["filterPattern"]) for r in requests(calls, "FilterLogEvents")] == [
        (TRAIL, ACCESS_DENIED)]


def test_alarm_searches_with_exactly_the_filters_publishing_its_metric(aws: Aws, records: list[dict[str, Any]],
                                                                       calls: list[tuple[str, dict[str, Any]]]) -> None:
    other_group = "/ztai/prod/application"
    aws.logs.create_log_group(logGroupName=other_group)
    put_filter(aws.logs, "same-metric-other-log-group", '{ $.errorCode = "OtherGroup" }', log_group=other_group)
    put_filter(aws.logs, "same-name-other-namespace", '{ $.errorCode = "OtherNamespace" }',
               namespace="ZTAI/ztai-dev/Security")
    put_filter(aws.logs, "same-name-other-metric", '{ $.errorCode = "OtherMetric" }', metric="BreakGlassRoleUse")
    by_bucket = '{ ($.eventSource = "s3.amazonaws.com") && ($.errorCode = "AccessDenied") }'
    put_filter(aws.logs, "per-bucket", by_bucket, dimensions={"Bucket": "$.requestParameters.bucketName"})
    second = '{ ($.eventSource = "s3.amazonaws.com") && ($.errorCode = "AccessDenied*") }'
    put_filter(aws.logs, "second-feed", second)  # two filters may publish the same metric: both are searched
    put_trail(aws, (aws.clock[0] - timedelta(minutes=1), json.dumps(cloudtrail_record(assumed_role(TRAINER)))))

    result = invoke(alarm())

    assert [(a["action"], a["role"]) for a in result["actions"]] == [("quarantined", TRAINER)]
    assert records[-1]["metric_filters"] == sorted([ALARM, "second-feed"])
    assert requests(calls, "DescribeMetricFilters") == [LOOKUP]
    assert sorted(r["filterPattern"] for r in requests(calls, "FilterLogEvents")) == sorted([ACCESS_DENIED, second])

    # the same alarm on the per-bucket metric (it has a dimension) resolves to the filter with that dimension only
    calls.clear()
    again = invoke(alarm(dimensions={"Bucket": DATA_BUCKET}))

    assert [a["action"] for a in again["actions"]] == ["already-quarantined"]
    assert [r["filterPattern"] for r in requests(calls, "FilterLogEvents")] == [by_bucket]


def trail_denial(role: str, created: str | None) -> str:
    """A CloudTrail AccessDenied record (it matches the alarm's filter) of a ``role`` session created at ``created``."""
    return json.dumps(cloudtrail_record(assumed_role(role, created=created)))


def alarm_at(when: datetime) -> dict[str, Any]:
    """The alarm entering ALARM (again) at ``when``."""
    event = alarm()
    event["detail"]["state"]["timestamp"] = when.strftime("%Y-%m-%dT%H:%M:%S.000+0000")
    return event


def quarantine_then_release(aws: Aws) -> datetime:
    """The alarm quarantines TRAINER (an instance-profile session issued 3 h earlier), the schedule releases it.

    Returns the quarantine time; the clock is left at the release.
    """
    at = aws.clock[0]
    put_trail(aws, (at - timedelta(minutes=2), trail_denial(TRAINER, iso(at - timedelta(hours=3)))))
    assert [a["action"] for a in invoke(alarm_at(at))["actions"]] == ["quarantined"]
    release = json.loads(aws.schedule(TRAINER)["Target"]["Input"])
    aws.clock[0] = at + timedelta(minutes=WINDOW)
    assert [a["action"] for a in invoke(release)["actions"]] == ["released"]
    assert aws.tags(TRAINER)["ztai:last-quarantined-at"] == iso(at)
    return at


def test_denials_of_revoked_sessions_do_not_quarantine_again(aws: Aws, records: list[dict[str, Any]]) -> None:
    """After the release, the kept revoke-sessions policy denies the old sessions: expected, not a new incident."""
    at = quarantine_then_release(aws)
    first_qid = f"cw-{ALARM}-{at:%Y-%m-%dT%H:%M:%S}.000+0000"
    now = aws.clock[0] = aws.clock[0] + timedelta(minutes=5)
    put_trail(aws,
              (now - timedelta(minutes=4), trail_denial(TRAINER, iso(at - timedelta(hours=3)))),
              (now - timedelta(minutes=1), trail_denial(TRAINER, iso(at - timedelta(seconds=1)))))  # last revoked
    before = (aws.policies(TRAINER), aws.tags(TRAINER), aws.schedules())

    result = invoke(alarm_at(now))

    assert [(a["action"], a["role"]) for a in result["actions"]] == [("skipped-revoked-session", TRAINER)]
    assert (aws.policies(TRAINER), aws.tags(TRAINER), aws.schedules()) == before
    line = records[-1]
    assert (line["action"], line["role"], line["_level"]) == ("skipped-revoked-session", TRAINER, "INFO")
    assert line["newest_session_created"] == iso(at - timedelta(seconds=1)) and line["revoked_before"] == iso(at)
    assert line["last_quarantine_id"] == first_qid and line["alarm"] == ALARM
    assert "iam:GetRolePolicy" in aws.api


@pytest.mark.parametrize("sessions", [
    pytest.param(["after-release"], id="session-created-after-release"),
    pytest.param(["at-quarantine"], id="session-created-at-the-quarantine-time"),  # DateLessThan: not revoked
    pytest.param(["old", "after-release"], id="old-and-new-sessions"),
    pytest.param(["no-creation-date"], id="no-creation-date"),
    pytest.param(["old", "unparsable"], id="old-and-unparsable-creation-date"),
    pytest.param(["naive"], id="creation-date-without-time-zone"),
])
def test_denials_of_new_sessions_quarantine_again(aws: Aws, records: list[dict[str, Any]],
                                                  sessions: list[str]) -> None:
    at = quarantine_then_release(aws)
    released = aws.clock[0]
    now = aws.clock[0] = released + timedelta(minutes=5)
    created = {"old": iso(at - timedelta(hours=3)), "after-release": iso(released + timedelta(minutes=1)),
               "at-quarantine": iso(at), "no-creation-date": None, "unparsable": "yesterday",
               "naive": f"{released + timedelta(minutes=1):%Y-%m-%dT%H:%M:%S}"}
    put_trail(aws, *[(now - timedelta(minutes=3, seconds=i), trail_denial(TRAINER, created[session]))
                     for i, session in enumerate(sessions)])

    result = invoke(alarm_at(now))

    assert [(a["action"], a["role"]) for a in result["actions"]] == [("quarantined", TRAINER)]
    assert aws.policies(TRAINER) == expected_policies(now)
    tags = aws.tags(TRAINER)
    assert tags["ztai:quarantined"] == "true" and tags["ztai:last-quarantined-at"] == iso(now)
    assert tags["ztai:quarantine-id"] == f"cw-{ALARM}-{now:%Y-%m-%dT%H:%M:%S}.000+0000"
    assert aws.schedules() == [f"ztai-release-{TRAINER}"]


@pytest.mark.parametrize("tamper", ["revoke-policy-deleted", "revoke-policy-narrowed", "revoke-policy-older",
                                    "tag-removed"])
def test_old_sessions_count_when_their_revocation_is_not_in_force(aws: Aws, records: list[dict[str, Any]],
                                                                  tamper: str) -> None:
    """Skipping is only for sessions the kept policy really denies: otherwise their denials are not ours."""
    at = quarantine_then_release(aws)
    revoke = "ztai-quarantine-revoke-sessions"
    if tamper == "revoke-policy-deleted":
        aws.iam.delete_role_policy(RoleName=TRAINER, PolicyName=revoke)
    elif tamper == "tag-removed":
        aws.iam.untag_role(RoleName=TRAINER, TagKeys=["ztai:last-quarantined-at"])
    else:
        document = expected_policies(at - timedelta(hours=4))[revoke]  # older: the 3 h old session is not revoked
        if tamper == "revoke-policy-narrowed":
            document = expected_policies(at)[revoke]
            document["Statement"][0]["Action"] = "s3:PutObject"
        aws.iam.put_role_policy(RoleName=TRAINER, PolicyName=revoke, PolicyDocument=json.dumps(document))
    now = aws.clock[0] = aws.clock[0] + timedelta(minutes=5)
    put_trail(aws, (now - timedelta(minutes=2), trail_denial(TRAINER, iso(at - timedelta(hours=3)))))

    result = invoke(alarm_at(now))

    assert [a["action"] for a in result["actions"]] == ["quarantined"]
    assert aws.policies(TRAINER) == expected_policies(now)


def test_incomplete_quarantine_is_completed_even_for_old_sessions(aws: Aws) -> None:
    """Deny-all written, tags not: the retry must finish the job (schedule, tags), whatever the sessions' age."""
    at = quarantine_then_release(aws)
    now = aws.clock[0] = aws.clock[0] + timedelta(minutes=5)
    aws.iam.put_role_policy(RoleName=TRAINER, PolicyName="ztai-quarantine-deny-all",
                            PolicyDocument=json.dumps(expected_policies(now)["ztai-quarantine-deny-all"]))
    put_trail(aws, (now - timedelta(minutes=2), trail_denial(TRAINER, iso(at - timedelta(hours=3)))))

    result = invoke(alarm_at(now))

    assert [a["action"] for a in result["actions"]] == ["quarantined"]
    assert aws.tags(TRAINER)["ztai:quarantined"] == "true" and aws.schedules() == [f"ztai-release-{TRAINER}"]


def test_release_of_a_quarantine_without_the_last_quarantined_at_tag_writes_it(aws: Aws) -> None:
    """A quarantine made before the tag existed still leaves the cut-off behind at release."""
    at = aws.clock[0]
    invoke(guardduty())
    aws.iam.untag_role(RoleName=ROLE, TagKeys=["ztai:last-quarantined-at"])

    invoke({"ztai_action": "release", "role_name": ROLE, "quarantine_id": QID})

    assert aws.tags(ROLE)["ztai:last-quarantined-at"] == iso(at)


@pytest.mark.parametrize(("name", "state", "why"), [
    (ALARM, "OK", "alarm is not in ALARM state"),
    (ALARM, "INSUFFICIENT_DATA", "alarm is not in ALARM state"),
    ("ztai-prod-high-cpu", "ALARM", "alarm not in QUARANTINE_ALARMS"),
])
def test_other_alarm_events_are_ignored(aws: Aws, records: list[dict[str, Any]],
                                        calls: list[tuple[str, dict[str, Any]]], name: str, state: str,
                                        why: str) -> None:
    put_trail(aws, (aws.clock[0] - timedelta(minutes=1), json.dumps(cloudtrail_record(assumed_role(TRAINER)))))

    result = invoke(alarm(name, state))

    assert [a["action"] for a in result["actions"]] == ["ignored"]
    assert records[-1]["detail"] == why
    assert aws.policies(TRAINER) == {} and aws.schedules() == []
    assert calls == []  # decided from the event and the environment alone


def _alarm_without_configuration() -> dict[str, Any]:
    event = alarm()
    del event["detail"]["configuration"]
    return event


LOOKUP_FAILURES: dict[str, Any] = {
    "metric-without-filter": alarm(NO_FILTER_ALARM, name="UnexpectedPrincipalDataLake"),
    "filter-in-another-namespace": alarm(namespace="ZTAI/ztai-dev/Security"),
    "dimension-the-filter-does-not-publish": alarm(dimensions={"Bucket": DATA_BUCKET}),
    "metric-name-the-api-rejects": alarm(name="DataBucket*"),
    "no-configuration": _alarm_without_configuration(),
    "no-metrics": alarm_configuration({"description": "Access denied on a data-lake bucket"}),
    "empty-metrics": alarm_configuration({"metrics": []}),
    "composite-alarm": alarm_configuration({"alarmRule": f"ALARM({NO_FILTER_ALARM}) OR ALARM({ALARM})",
                                            "actionsSuppressor": "ztai-prod-maintenance"}),
    "expression-only": alarm_configuration({"metrics": [
        {"id": "m1", "expression": f'SELECT SUM({METRIC}) FROM "{NAMESPACE}"', "returnData": True, "period": 300}]}),
}


@pytest.mark.parametrize("event", LOOKUP_FAILURES.values(), ids=LOOKUP_FAILURES.keys())
def test_unresolvable_detection_raises_for_a_human(aws: Aws, records: list[dict[str, Any]],
                                                   calls: list[tuple[str, dict[str, Any]]], event: Any) -> None:
    put_trail(aws, (aws.clock[0] - timedelta(minutes=1), json.dumps(cloudtrail_record(assumed_role(TRAINER)))))

    with pytest.raises(handler.DetectionLookupFailed) as failed:
        invoke(event)

    assert isinstance(failed.value, RuntimeError) and not isinstance(failed.value, handler.MalformedEvent)
    name = event["detail"]["alarmName"]
    assert failed.value.alarm == name
    [line] = records
    assert (line["action"], line["_level"], line["alarm"]) == ("detection-lookup-failed", "ERROR", name)
    assert name in line["event"]
    assert requests(calls, "FilterLogEvents") == []
    assert all(r["logGroupName"] == TRAIL for r in requests(calls, "DescribeMetricFilters"))
    assert aws.policies(TRAINER) == {} and aws.schedules() == []


def test_filter_with_an_empty_pattern_is_refused(aws: Aws, records: list[dict[str, Any]]) -> None:
    """An empty pattern matches every trail record: searching with it would quarantine every active role."""
    put_filter(aws.logs, "all-trail-events", "", metric="TrailEvents")
    put_trail(aws, (aws.clock[0] - timedelta(minutes=1), json.dumps(cloudtrail_record(assumed_role(TRAINER)))))

    with pytest.raises(handler.DetectionLookupFailed, match="all-trail-events"):
        invoke(alarm(name="TrailEvents"))

    assert [(r["action"], r["_level"]) for r in records] == [("detection-lookup-failed", "ERROR")]
    assert aws.policies(TRAINER) == {} and aws.schedules() == []


@pytest.mark.parametrize(("role", "action"), [
    (BREAK_GLASS, "skipped-protected"),
    (AUDITOR, "skipped-protected"),
    (UNMANAGED, "skipped-unmanaged"),
])
def test_protected_and_unmanaged_roles_are_never_quarantined(aws: Aws, records: list[dict[str, Any]], role: str,
                                                             action: str) -> None:
    put_trail(aws, (aws.clock[0] - timedelta(minutes=1), json.dumps(cloudtrail_record(assumed_role(role)))))

    results = [invoke(guardduty(role)), invoke(alarm())]

    assert [r["actions"][0]["action"] for r in results] == [action, action]
    assert [(r["action"], r["role"], r["_level"]) for r in records] == [(action, role, "WARNING")] * 2
    assert aws.policies(role) == {} and aws.tags(role) == {"team": "ml"} and aws.schedules() == []


@pytest.mark.parametrize(("user_type", "user_name", "finding_type"), [
    ("Root", "Root", "Policy:IAMUser/RootCredentialUsage"),
    ("IAMUser", "ci-deployer", "UnauthorizedAccess:IAMUser/MaliciousIPCaller"),
    ("Federated", "alice@example.com", "UnauthorizedAccess:IAMUser/ConsoleLoginSuccess.B"),
])
def test_principals_other_than_assumed_roles_are_skipped(aws: Aws, records: list[dict[str, Any]], user_type: str,
                                                         user_name: str, finding_type: str) -> None:
    result = invoke(guardduty(user_name, user_type, type=finding_type, severity=5.5))

    assert [a["action"] for a in result["actions"]] == ["ignored"]
    [line] = records
    assert line["user_type"] == user_type and line["principal"] == user_name
    assert line["finding_type"] == finding_type and line["severity"] == 5.5
    assert all(aws.policies(r) == {} for r in (ROLE, TRAINER)) and aws.schedules() == []


def test_finding_of_another_account_is_ignored(aws: Aws) -> None:
    result = invoke(guardduty(accountId="210987654321"))
    assert [a["action"] for a in result["actions"]] == ["ignored"] and aws.policies(ROLE) == {}


def _without(path: tuple[str, ...]) -> dict[str, Any]:
    event = guardduty()
    target = event
    for key in path[:-1]:
        target = target[key]
    del target[path[-1]]
    return event


MALFORMED: dict[str, Any] = {
    "not-an-object": ["aws.guardduty"],
    "string": "release ztai-prod-inference",
    "null": None,
    "empty": {},
    "unknown-source": {**GUARDDUTY_EVENT, "source": "aws.ec2", "detail-type": "EC2 Instance State-change Notification"},
    "unhashable-source": {**GUARDDUTY_EVENT, "source": ["aws.guardduty"]},
    "gd-no-detail": {k: v for k, v in GUARDDUTY_EVENT.items() if k != "detail"},
    "gd-detail-not-object": {**GUARDDUTY_EVENT, "detail": "finding"},
    "gd-no-resource": _without(("detail", "resource")),
    "gd-no-access-key-details": _without(("detail", "resource", "accessKeyDetails")),  # an AccessKey finding
    "gd-s3-access-key-details-not-object": s3_finding(resource={"resourceType": "S3Bucket",
                                                                "accessKeyDetails": "ASIAZ3EXAMPLE4TRAIN7"}),
    "gd-s3-no-user-type": s3_finding(resource={"resourceType": "S3Bucket", "accessKeyDetails": {"userName": TRAINER}}),
    "gd-s3-bucket-details-not-list": s3_finding(resource={**S3_FINDING_EVENT["detail"]["resource"],
                                                          "s3BucketDetails": {"name": DATA_BUCKET}}),
    "gd-no-user-name": _without(("detail", "resource", "accessKeyDetails", "userName")),
    "gd-severity-string": guardduty(severity="8"),
    "gd-bad-role-name": guardduty("ztai-prod-inference; rm -rf"),
    "alarm-no-name": {**ALARM_EVENT, "detail": {"state": {"value": "ALARM", "timestamp": "x"}}},
    "alarm-state-not-object": {**ALARM_EVENT, "detail": {"alarmName": ALARM, "state": "ALARM"}},
    "alarm-configuration-not-object": alarm_configuration([{"metricStat": {}}]),
    "alarm-metrics-not-list": alarm_configuration({"metrics": {"id": "m1"}}),
    "alarm-metric-entry-not-object": alarm_configuration({"metrics": ["m1"]}),
    "alarm-metric-stat-without-metric": alarm_configuration({"metrics": [{"id": "m1", "metricStat": {"period": 300}}]}),
    "alarm-metric-name-not-string": alarm(name=42),
    "alarm-namespace-missing": alarm(namespace=None),
    "alarm-dimensions-not-object": alarm(dimensions=["Bucket"]),
    "release-unknown-action": {"ztai_action": "delete", "role_name": ROLE, "quarantine_id": QID},
    "release-no-id": {"ztai_action": "release", "role_name": ROLE},
    "release-role-not-string": {"ztai_action": "release", "role_name": 42, "quarantine_id": QID},
    "release-unmanaged-role": {"ztai_action": "release", "role_name": UNMANAGED, "quarantine_id": QID},
    "release-empty-id": {"ztai_action": "release", "role_name": ROLE, "quarantine_id": ""},
}


@pytest.mark.parametrize("event", MALFORMED.values(), ids=MALFORMED.keys())
def test_malformed_events_raise_for_the_dlq(aws: Aws, caplog: pytest.LogCaptureFixture, event: Any) -> None:
    caplog.set_level(logging.INFO, logger="ztai.quarantine")

    with pytest.raises(handler.MalformedEvent):
        invoke(event)

    [error] = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert error.name == "ztai.quarantine" and json.loads(error.getMessage())["action"] == "malformed-event"
    assert issubclass(handler.MalformedEvent, ValueError)
    assert all(aws.policies(r) == {} for r in (ROLE, UNMANAGED)) and aws.schedules() == []


def test_schedule_names_fit_the_scheduler_limits() -> None:
    assert handler.schedule_name(ROLE) == "ztai-release-ztai-prod-inference"
    long_names = ["ztai-prod-" + "x" * 54, "ztai-prod-" + "x" * 53 + "y", "ztai-prod-svc+ops@team"]
    names = [handler.schedule_name(n) for n in long_names]
    assert len(set(names)) == 3
    assert all(len(n) <= 64 and all(c.isalnum() or c in "-_." for c in n) for n in names)


def test_a_burst_alarm_quarantines_only_the_role_behind_the_burst(aws: Aws, records: list[dict[str, Any]],
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """One ordinary 403 (e.g. a GET of a missing key) beside another role's burst must not quarantine its role."""
    monkeypatch.setenv("QUARANTINE_MIN_EVENTS", f"{ALARM}=3")
    now = aws.clock[0]
    put_trail(
        aws,
        *[(now - timedelta(minutes=3, seconds=i), json.dumps(cloudtrail_record(assumed_role(TRAINER))))
          for i in range(3)],
        (now - timedelta(minutes=2), json.dumps(cloudtrail_record(assumed_role(ROLE)))),  # one ordinary 403
    )

    result = invoke(alarm())

    assert [(a["action"], a["role"]) for a in result["actions"]] == [("quarantined", TRAINER)]
    assert aws.policies(ROLE) == {}


def test_a_role_below_the_burst_threshold_is_not_quarantined(aws: Aws, records: list[dict[str, Any]],
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QUARANTINE_MIN_EVENTS", f"{ALARM}=3")
    now = aws.clock[0]
    put_trail(aws, *[(now - timedelta(minutes=2, seconds=i), json.dumps(cloudtrail_record(assumed_role(ROLE))))
                     for i in range(2)])

    result = invoke(alarm())

    assert [a["action"] for a in result["actions"]] == ["ignored"]
    assert aws.policies(ROLE) == {}


@pytest.mark.parametrize("bad", ["alarm=0", "alarm=x", "=3", "alarm"])
def test_malformed_min_events_setting_fails_loudly(bad: str) -> None:
    with pytest.raises(RuntimeError, match="QUARANTINE_MIN_EVENTS"):
        handler._min_events(bad)

"""Automated quarantine of compromised IAM roles (AWS Lambda, handler ``handler.handle``).

Triggers (all asynchronous, so anything that raises ends in the function's DLQ after retries):

* a GuardDuty finding (EventBridge) whose ``resource.accessKeyDetails`` names an *assumed role*: IAM findings
  (``resourceType`` AccessKey) and S3 Protection findings on CloudTrail S3 data events (``resourceType`` S3Bucket,
  e.g. ``Exfiltration:S3/AnomalousBehavior``; the bucket names of ``s3BucketDetails`` go into the reason and log);
  a finding without ``accessKeyDetails`` (EC2 instance, EKS, ...) is ignored, and so is a non-AccessKey finding
  whose API caller (``service.action.awsApiCallAction.remoteAccountDetails``) is another account (the role name
  is then that account's, not ours);
* a CloudWatch alarm entering ALARM (EventBridge) whose name is listed in ``QUARANTINE_ALARMS`` (comma-separated):
  the offending roles are the assumed roles found in the CloudTrail log group ``TRAIL_LOG_GROUP`` with the filter
  pattern of the metric filter(s) that publish the alarm's metric;
* ``{"ztai_action": "release", "role_name": ..., "quarantine_id": ...}`` sent by EventBridge Scheduler.

Design:

* Two inline policies. ``ztai-quarantine-deny-all`` denies everything unconditionally, including sessions created
  during the window, and is removed at release. ``ztai-quarantine-revoke-sessions`` denies everything to sessions
  whose ``aws:TokenIssueTime`` is before the quarantine time; it is *kept* at release, so credentials that may have
  been stolen stay useless for their whole lifetime while fresh sessions work again.
* Idempotency. A role whose deny-all policy exists and whose ``ztai:quarantined`` tag is ``true`` is left untouched
  (no policy rewrite, no new schedule, no tag change). Steps run policies first (fail closed), then the release
  schedule (created, or replaced if left over), then the tags as the commit marker: a retry after a partial failure
  completes the quarantine instead of reporting it done. A later event for a quarantined role does not extend the
  window. The quarantine time is rounded up to the next second (token issue times have second precision).
* Tags. While quarantined: ``ztai:quarantined`` = true, ``ztai:quarantine-id``, ``ztai:quarantined-at``,
  ``ztai:quarantine-release-at``, ``ztai:quarantine-reason`` and ``ztai:last-quarantined-at`` (= quarantined-at).
  A release sets ``ztai:quarantined`` = false and ``ztai:last-quarantine-id``, removes the other ``ztai:quarantine*``
  tags and keeps ``ztai:last-quarantined-at``: the cut-off time of the kept revoke-sessions policy.
* No quarantine loop. After a release, the sessions issued before the quarantine are still denied everything, so
  their AccessDenied records keep matching the alarm's filter. For each CloudTrail record the alarm path reads the
  session's creation (``userIdentity.sessionContext.attributes.creationDate``); a role that is not under quarantine
  and whose matching records all come from sessions created before ``ztai:last-quarantined-at`` (and before the
  time in its revoke-sessions policy, read back to check the revocation is really in force) is skipped and logged
  (``action`` = skipped-revoked-session). A record without a parsable, time-zoned creationDate counts as a new
  session. GuardDuty findings carry no session creation time and are not filtered this way.
* A release only acts when the role's ``ztai:quarantine-id`` tag equals the event's ``quarantine_id``; a stale or
  repeated release is a logged no-op (and never deletes the schedule of a newer quarantine). A release naming a role
  outside ``MANAGED_ROLE_PREFIX`` was not produced by this function and is rejected as malformed.
* Protected roles (``PROTECTED_ROLE_ARNS``, matched by ARN and by name: break-glass, security auditors) and roles
  outside ``MANAGED_ROLE_PREFIX`` (the function's IAM permissions stop there) are never touched, only logged.
* Alarm detections are looked up, not configured: the event's ``detail.configuration.metrics[].metricStat.metric``
  (namespace, name, dimensions) is resolved with ``logs:DescribeMetricFilters`` scoped to ``TRAIL_LOG_GROUP`` (the
  function's permission stops at that log group), and only filters of that log group whose metric transformation
  publishes exactly that metric (namespace, name and dimension names) are used. Metric math / Metrics Insights
  expressions are skipped; every ``metricStat`` metric must resolve, and a filter with an empty pattern (it would
  match every trail record, so every active role) is refused.
* Malformed input is logged at ERROR and raises ``MalformedEvent`` so the invocation fails into the DLQ.
* An alarm of ``QUARANTINE_ALARMS`` in ALARM whose detection cannot be resolved (no ``configuration.metrics``, no
  ``metricStat`` metric, a metric that no metric filter of ``TRAIL_LOG_GROUP`` publishes, an empty pattern, or
  CloudWatch Logs rejecting the lookup as invalid / not found) is not a bad event but a configuration drift: it is
  logged at ERROR (``action`` = detection-lookup-failed, with the alarm name) and raises ``DetectionLookupFailed``
  (a ``RuntimeError``, deliberately not a ``MalformedEvent``) so the event lands in the DLQ for a human to replay.
* Every decision is one JSON log line (``action`` = quarantined, already-quarantined, skipped-protected,
  skipped-unmanaged, skipped-revoked-session, released, release-noop or ignored); the handler returns
  ``{"actions": [...]}``.

Only the standard library and boto3: the file is deployed alone.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol
from urllib.parse import unquote

import boto3
from botocore.exceptions import ClientError

DENY_ALL = "ztai-quarantine-deny-all"
REVOKE_SESSIONS = "ztai-quarantine-revoke-sessions"
TAG_QUARANTINED = "ztai:quarantined"
TAG_ID = "ztai:quarantine-id"
TAG_AT = "ztai:quarantined-at"
TAG_RELEASE_AT = "ztai:quarantine-release-at"
TAG_REASON = "ztai:quarantine-reason"
TAG_LAST_ID = "ztai:last-quarantine-id"
TAG_LAST_AT = "ztai:last-quarantined-at"  # kept at release: sessions created before it stay revoked
SCHEDULE_PREFIX = "ztai-release-"

ROLE_NAME_RE = re.compile(r"[\w+=,.@-]{1,64}", re.ASCII)
ROLE_ARN_RE = re.compile(r"arn:aws[\w-]*:iam::(\d{12}):role/(?:[\w+=,.@-]+/)*([\w+=,.@-]{1,64})", re.ASCII)
UNSAFE_TAG_CHARS = re.compile(r"[^A-Za-z0-9 _.:/=+@-]")
ISO = "%Y-%m-%dT%H:%M:%SZ"
REVOKE_SID = "RevokeSessionsIssuedBeforeQuarantine"

LOGGER = logging.getLogger("ztai.quarantine")
LOGGER.setLevel(logging.INFO)


class MalformedEvent(ValueError):
    """The event is not one this function accepts; the invocation fails so the event reaches the DLQ."""


class DetectionLookupFailed(RuntimeError):
    """A quarantine alarm cannot be traced to its CloudTrail metric filter; the event goes to the DLQ for a human."""

    def __init__(self, alarm: str, detail: str) -> None:
        super().__init__(f"alarm {alarm}: {detail}")
        self.alarm, self.detail = alarm, detail


class LambdaContext(Protocol):
    invoked_function_arn: str


@dataclass(frozen=True)
class Config:
    window: timedelta
    prefix: str
    protected: frozenset[str]  # ARNs and role names
    schedule_group: str
    scheduler_role_arn: str
    trail_log_group: str
    quarantine_alarms: frozenset[str]
    lookback: timedelta
    # alarm name -> matching trail records a role must have produced in the lookback to be quarantined (default 1).
    # A burst alarm fires on many records; a role with one ordinary 403 beside the burster is not its offender.
    min_events: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Metric:
    """A CloudWatch metric as an alarm event names it (dimension values do not select a metric filter)."""

    namespace: str
    name: str
    dimension_names: frozenset[str]

    def __str__(self) -> str:
        return f"{self.namespace}/{self.name}" + (f"[{','.join(sorted(self.dimension_names))}]"
                                                  if self.dimension_names else "")


def now() -> datetime:
    """The clock (tests replace it)."""
    return datetime.now(UTC)


def load_config() -> Config:
    env = os.environ
    alarms = frozenset(a.strip() for a in env["QUARANTINE_ALARMS"].split(",") if a.strip())
    window, lookback = int(env["QUARANTINE_WINDOW_MINUTES"]), int(env.get("LOOKBACK_MINUTES", "15"))
    if window < 1 or lookback < 1 or not env["MANAGED_ROLE_PREFIX"]:
        raise RuntimeError("QUARANTINE_WINDOW_MINUTES/LOOKBACK_MINUTES must be >= 1 and MANAGED_ROLE_PREFIX set")
    arns = [a.strip() for a in env.get("PROTECTED_ROLE_ARNS", "").split(",") if a.strip()]
    return Config(
        window=timedelta(minutes=window),
        prefix=env["MANAGED_ROLE_PREFIX"],
        protected=frozenset(arns + [a.rsplit("/", 1)[-1] for a in arns]),
        schedule_group=env["SCHEDULE_GROUP"],
        scheduler_role_arn=env["SCHEDULER_ROLE_ARN"],
        trail_log_group=env["TRAIL_LOG_GROUP"],
        quarantine_alarms=alarms,
        lookback=timedelta(minutes=lookback),
        min_events=_min_events(env.get("QUARANTINE_MIN_EVENTS", "")),
    )


def _min_events(text: str) -> dict[str, int]:
    """``alarm=N,alarm2=M`` -> {alarm: N}; N >= 1."""
    found: dict[str, int] = {}
    for item in (part.strip() for part in text.split(",")):
        if not item:
            continue
        name, _, count = item.rpartition("=")
        if not name or not count.isdigit() or int(count) < 1:
            raise RuntimeError(f"QUARANTINE_MIN_EVENTS entry {item!r} is not alarm=N with N >= 1")
        found[name] = int(count)
    return found


def _log(action: str, level: int = logging.INFO, **fields: Any) -> dict[str, Any]:
    entry = {"action": action, **fields}
    LOGGER.log(level, json.dumps(entry, sort_keys=True, default=str))
    return entry


def _field(obj: Any, key: str, kind: type | tuple[type, ...]) -> Any:
    """``obj[key]`` if obj is a dict and the value has the expected type, else MalformedEvent."""
    value = obj.get(key) if isinstance(obj, dict) else None
    if not isinstance(value, kind) or isinstance(value, bool):
        raise MalformedEvent(f"missing or invalid field {key!r}")
    return value


def _safe(text: str, limit: int) -> str:
    """Tag-value-safe text of at most ``limit`` chars; too long becomes a prefix plus a hash (stays unique)."""
    clean = UNSAFE_TAG_CHARS.sub("-", text)
    if len(clean) <= limit:
        return clean
    return f"{clean[: limit - 13]}-{hashlib.sha256(text.encode()).hexdigest()[:12]}"


def schedule_name(role_name: str) -> str:
    """``ztai-release-<role>``; names that are too long or use other characters get a hash suffix."""
    name = SCHEDULE_PREFIX + re.sub(r"[^0-9A-Za-z_.-]", "_", role_name)
    if len(name) <= 64 and name == SCHEDULE_PREFIX + role_name:
        return name
    return f"{name[:53]}-{hashlib.sha256(role_name.encode()).hexdigest()[:10]}"


def _policy(sid: str, condition: dict[str, Any] | None = None) -> str:
    statement: dict[str, Any] = {"Sid": sid, "Effect": "Deny", "Action": "*", "Resource": "*"}
    if condition:
        statement["Condition"] = condition
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def _parse_time(value: Any) -> datetime | None:
    """An ISO 8601 timestamp with a time zone, in UTC; None when absent, unparsable or without a time zone."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed.astimezone(UTC) if parsed.tzinfo is not None else None


def _assumed_role_session(message: str) -> tuple[str, datetime | None] | None:
    """(session issuer's role ARN, session creation time or None) if ``message`` is a CloudTrail record of an
    assumed role, else None."""
    try:
        record = json.loads(message)
        identity = record["userIdentity"]
        issuer = identity["sessionContext"]["sessionIssuer"]
        if not all(isinstance(record[k], str) for k in ("eventVersion", "eventSource", "eventName")):
            return None
        if identity["type"] != "AssumedRole" or issuer["type"] != "Role" or not isinstance(issuer["arn"], str):
            return None
        attributes = identity["sessionContext"].get("attributes")
        created = _parse_time(attributes.get("creationDate")) if isinstance(attributes, dict) else None
        return str(issuer["arn"]), created
    except (ValueError, TypeError, KeyError, AttributeError):
        return None


def _newest(a: datetime | None, b: datetime | None) -> datetime | None:
    """The newer of two session creation times; None (unknown, so possibly new) wins."""
    return None if a is None or b is None else max(a, b)


def _revocation_time(document: Any) -> datetime | None:
    """The cut-off of a revoke-sessions policy exactly as this function writes it, else None."""
    if isinstance(document, str):  # boto3 normally decodes it already
        try:
            document = json.loads(unquote(document))
        except ValueError:
            return None
    try:
        stamp = document["Statement"][0]["Condition"]["DateLessThan"]["aws:TokenIssueTime"]
        at = datetime.strptime(stamp, ISO).replace(tzinfo=UTC)
    except (KeyError, IndexError, TypeError, ValueError):
        return None
    expected = json.loads(_policy(REVOKE_SID, {"DateLessThan": {"aws:TokenIssueTime": at.strftime(ISO)}}))
    return at if document == expected else None


class Quarantine:
    def __init__(self, config: Config, function_arn: str = "") -> None:
        self.config, self.function_arn = config, function_arn
        self.iam, self.scheduler, self.logs = boto3.client("iam"), boto3.client("scheduler"), boto3.client("logs")

    def _state(self, role: str) -> tuple[dict[str, str], bool] | None:
        """(tags, has the deny-all policy), or None when the role does not exist."""
        try:
            tags = {t["Key"]: t["Value"] for t in self.iam.list_role_tags(RoleName=role, MaxItems=100)["Tags"]}
        except ClientError as error:
            if _code(error) != "NoSuchEntity":
                raise
            return None
        try:
            self.iam.get_role_policy(RoleName=role, PolicyName=DENY_ALL)
        except ClientError as error:
            if _code(error) != "NoSuchEntity":
                raise
            return tags, False
        return tags, True

    def _revoked_before(self, role: str, tags: dict[str, str]) -> datetime | None:
        """Sessions created before this time are denied everything by the kept revoke-sessions policy; None when
        unknown (no ``ztai:last-quarantined-at`` tag, or the policy is missing or not as this function wrote it)."""
        try:
            tagged = datetime.strptime(tags.get(TAG_LAST_AT, ""), ISO).replace(tzinfo=UTC)
        except ValueError:
            return None
        try:
            document = self.iam.get_role_policy(RoleName=role, PolicyName=REVOKE_SESSIONS)["PolicyDocument"]
        except ClientError as error:
            if _code(error) != "NoSuchEntity":
                raise
            return None
        enforced = _revocation_time(document)
        return None if enforced is None else min(tagged, enforced)

    def quarantine(self, role: str, role_arn: str | None, qid: str, reason: str, *,
                   newest_session: datetime | None = None, **info: Any) -> dict[str, Any]:
        """Quarantine ``role``. ``newest_session``: creation time of the newest session seen in the evidence (alarm
        path); when it is before the role's last quarantine, those sessions are already revoked and it is skipped."""
        cfg, ids = self.config, {"role": role, "quarantine_id": qid, "reason": reason, **info}
        if role in cfg.protected or (role_arn or "") in cfg.protected:
            return _log("skipped-protected", logging.WARNING, **ids)
        if not role.startswith(cfg.prefix) or (role_arn and not role_arn.endswith(f":role/{role}")):
            return _log("skipped-unmanaged", logging.WARNING, **ids, detail=f"outside {cfg.prefix}* (or has a path)")
        state = self._state(role)
        if state is None:
            return _log("ignored", logging.WARNING, **ids, detail="role does not exist")
        tags, has_deny = state
        if has_deny and tags.get(TAG_QUARANTINED) == "true":
            return _log("already-quarantined", **ids, existing_quarantine_id=tags.get(TAG_ID))
        if newest_session is not None and not has_deny:  # deny-all present: an incomplete quarantine, complete it
            revoked_before = self._revoked_before(role, tags)
            if revoked_before is not None and newest_session < revoked_before:
                return _log("skipped-revoked-session", **ids, newest_session_created=newest_session.strftime(ISO),
                            revoked_before=revoked_before.strftime(ISO), last_quarantine_id=tags.get(TAG_LAST_ID),
                            detail="every matching record comes from a session revoked by an earlier quarantine")
        at = now()
        at = at.replace(microsecond=0) + timedelta(seconds=1 if at.microsecond else 0)  # ceil: revoke all before
        release_at = at + cfg.window
        revoke = _policy(REVOKE_SID, {"DateLessThan": {"aws:TokenIssueTime": at.strftime(ISO)}})
        self.iam.put_role_policy(RoleName=role, PolicyName=REVOKE_SESSIONS, PolicyDocument=revoke)
        self.iam.put_role_policy(RoleName=role, PolicyName=DENY_ALL, PolicyDocument=_policy("QuarantineDenyAll"))
        release = {"ztai_action": "release", "role_name": role, "quarantine_id": qid}
        schedule = {
            "Name": schedule_name(role),
            "GroupName": cfg.schedule_group,
            "ScheduleExpression": f"at({release_at.strftime('%Y-%m-%dT%H:%M:%S')})",
            "ScheduleExpressionTimezone": "UTC",
            "FlexibleTimeWindow": {"Mode": "OFF"},
            "State": "ENABLED",
            "ActionAfterCompletion": "DELETE",
            "Target": {"Arn": self.function_arn, "RoleArn": cfg.scheduler_role_arn, "Input": json.dumps(release)},
        }
        try:
            self.scheduler.create_schedule(**schedule)
        except ClientError as error:
            if _code(error) != "ConflictException":
                raise
            # leftover of an earlier, incomplete attempt: replace it (no scheduler:UpdateSchedule needed)
            self.scheduler.delete_schedule(Name=schedule["Name"], GroupName=cfg.schedule_group)
            self.scheduler.create_schedule(**schedule)
        marker = {TAG_ID: qid, TAG_AT: at.strftime(ISO), TAG_LAST_AT: at.strftime(ISO),  # last step: commits it
                  TAG_RELEASE_AT: release_at.strftime(ISO), TAG_REASON: _safe(reason, 256), TAG_QUARANTINED: "true"}
        self.iam.tag_role(RoleName=role, Tags=[{"Key": k, "Value": v} for k, v in marker.items()])
        return _log("quarantined", logging.WARNING, **ids, quarantined_at=at.strftime(ISO),
                    release_at=release_at.strftime(ISO), schedule=schedule["Name"])

    def release(self, role: str, qid: str) -> dict[str, Any]:
        state = self._state(role)
        tags, has_deny = state or ({}, False)
        if state is None or tags.get(TAG_ID) != qid or not (has_deny or tags.get(TAG_QUARANTINED) == "true"):
            detail = "role does not exist" if state is None else "not quarantined under this quarantine id"
            return _log("release-noop", role=role, quarantine_id=qid, current_quarantine_id=tags.get(TAG_ID),
                        detail=detail)
        try:
            self.iam.delete_role_policy(RoleName=role, PolicyName=DENY_ALL)
        except ClientError as error:
            if _code(error) != "NoSuchEntity":
                raise
        kept = {TAG_QUARANTINED: "false", TAG_LAST_ID: qid}
        if TAG_AT in tags:  # also covers a quarantine made before ztai:last-quarantined-at existed
            kept[TAG_LAST_AT] = tags[TAG_AT]
        self.iam.tag_role(RoleName=role, Tags=[{"Key": k, "Value": v} for k, v in kept.items()])
        self.iam.untag_role(RoleName=role, TagKeys=[TAG_ID, TAG_AT, TAG_RELEASE_AT, TAG_REASON])
        try:
            self.scheduler.delete_schedule(Name=schedule_name(role), GroupName=self.config.schedule_group)
        except ClientError as error:
            if _code(error) != "ResourceNotFoundException":
                raise
        return _log("released", logging.WARNING, role=role, quarantine_id=qid, released_at=now().strftime(ISO),
                    kept_policy=REVOKE_SESSIONS)

    def _publishes(self, metric_filter: dict[str, Any], metric: Metric) -> bool:
        """Whether ``metric_filter`` is on the trail log group and publishes exactly ``metric``.

        Checked here although the request is already scoped by log group, metric name and namespace: the answer is
        not trusted to honour the scope (emulators), and the dimension names are not part of the request at all.
        """
        if metric_filter.get("logGroupName") != self.config.trail_log_group:
            return False
        transformations = metric_filter.get("metricTransformations")
        return isinstance(transformations, list) and any(
            isinstance(t, dict) and t.get("metricName") == metric.name
            and t.get("metricNamespace") == metric.namespace
            and frozenset(t.get("dimensions") or {}) == metric.dimension_names
            for t in transformations)

    def detection_patterns(self, alarm: str, metrics: list[Metric]) -> dict[str, str]:
        """Filter name -> pattern of the trail metric filters publishing ``metrics``, else DetectionLookupFailed."""
        if not metrics:
            raise DetectionLookupFailed(alarm, "the event names no metric (detail.configuration.metrics[].metricStat)")
        paginator = self.logs.get_paginator("describe_metric_filters")
        patterns: dict[str, str] = {}
        for metric in metrics:
            found: dict[str, str] = {}
            try:
                for page in paginator.paginate(logGroupName=self.config.trail_log_group, metricName=metric.name,
                                               metricNamespace=metric.namespace):
                    for metric_filter in page.get("metricFilters", []):
                        pattern = metric_filter.get("filterPattern")
                        if self._publishes(metric_filter, metric) and isinstance(pattern, str):
                            found[str(metric_filter.get("filterName"))] = pattern
            except ClientError as error:
                if _code(error) not in ("InvalidParameterException", "ResourceNotFoundException"):
                    raise
                raise DetectionLookupFailed(alarm, f"DescribeMetricFilters for {metric} on "
                                                   f"{self.config.trail_log_group}: {_code(error)}") from error
            if not found:
                raise DetectionLookupFailed(alarm, f"no metric filter of {self.config.trail_log_group} publishes "
                                                   f"{metric}")
            empty = sorted(name for name, pattern in found.items() if not pattern.strip())
            if empty:
                raise DetectionLookupFailed(alarm, f"metric filter(s) {', '.join(empty)} have an empty pattern "
                                                   "(would match every trail record)")
            patterns.update(found)
        return patterns

    def offending_roles(self, pattern: str, account: str, min_events: int = 1) -> dict[str, datetime | None]:
        """ARN -> newest session creation time of this account's assumed roles in CloudTrail records matching
        ``pattern`` in the lookback window (None when a record's session creation time is unknown), for roles with
        at least ``min_events`` such records.

        The filter pattern is not trusted to have been applied (emulators may not implement JSON patterns):
        anything that is not a well-formed CloudTrail record of an assumed role of this account is dropped.
        """
        end = now()
        pages = self.logs.get_paginator("filter_log_events").paginate(
            logGroupName=self.config.trail_log_group, filterPattern=pattern,
            startTime=int((end - self.config.lookback).timestamp() * 1000), endTime=int(end.timestamp() * 1000))
        roles: dict[str, datetime | None] = {}
        counts: dict[str, int] = {}
        for page in pages:
            for event in page.get("events", []):
                session = _assumed_role_session(event.get("message", ""))
                match = ROLE_ARN_RE.fullmatch(session[0]) if session else None
                if session and match and match.group(1) == account:
                    arn, created = match.group(0), session[1]
                    roles[arn] = _newest(roles[arn], created) if arn in roles else created
                    counts[arn] = counts.get(arn, 0) + 1
        return {arn: created for arn, created in roles.items() if counts[arn] >= min_events}


def _bucket_names(resource: dict[str, Any]) -> list[str]:
    """Names in ``resource.s3BucketDetails`` (S3 Protection findings); [] when there is none."""
    details = resource.get("s3BucketDetails", [])
    if not isinstance(details, list):
        raise MalformedEvent("resource.s3BucketDetails is not a list")
    return sorted({d["name"] for d in details if isinstance(d, dict) and isinstance(d.get("name"), str)})


def _caller_account(detail: dict[str, Any]) -> str | None:
    """``service.action.awsApiCallAction.remoteAccountDetails.accountId`` (set when another account made the call)."""
    value: Any = detail
    for key in ("service", "action", "awsApiCallAction", "remoteAccountDetails", "accountId"):
        value = value.get(key) if isinstance(value, dict) else None
    return value if isinstance(value, str) else None


def _guardduty(q: Quarantine, detail: Any, account: str) -> list[dict[str, Any]]:
    finding_id, finding_type = _field(detail, "id", str), _field(detail, "type", str)
    severity = _field(detail, "severity", (int, float))
    resource = _field(detail, "resource", dict)
    resource_type, buckets = _field(resource, "resourceType", str), _bucket_names(resource)
    info: dict[str, Any] = {"finding_id": finding_id, "finding_type": finding_type, "severity": severity,
                            "resource_type": resource_type, **({"buckets": buckets} if buckets else {})}
    key = resource.get("accessKeyDetails")
    if not key and resource_type != "AccessKey":  # EC2 instance, EKS, Lambda, ... findings: no principal
        return [_log("ignored", **info, detail=f"resource type {resource_type} finding names no access key")]
    key = _field(resource, "accessKeyDetails", dict)
    user_type = _field(key, "userType", str)
    if user_type != "AssumedRole":
        return [_log("ignored", logging.WARNING, **info, principal=key.get("userName"), user_type=user_type,
                     detail="only assumed roles can be quarantined by this function")]
    user_name = _field(key, "userName", str)
    if _field(detail, "accountId", str) != account:
        return [_log("ignored", logging.WARNING, **info, principal=user_name, detail="finding of another account")]
    caller_account = _caller_account(detail)
    if resource_type != "AccessKey" and caller_account not in (None, account):
        # an access-key finding is about a key of this account (remoteAccountDetails then names where stolen
        # credentials were used); on a resource finding it names the caller's account, so the role is not ours
        return [_log("ignored", logging.WARNING, **info, principal=user_name, caller_account=caller_account,
                     detail="the API caller is a role of another account")]
    if not ROLE_NAME_RE.fullmatch(user_name):
        raise MalformedEvent("accessKeyDetails.userName is not a role name")
    reason = f"GuardDuty {finding_type} severity {severity} finding {finding_id}"
    reason += "".join(f" on s3://{name}" for name in buckets)
    return [q.quarantine(user_name, None, _safe(f"gd-{finding_id}", 128), reason, **info,
                         access_key_id=key.get("accessKeyId"))]


def _alarm_metrics(detail: dict[str, Any]) -> list[Metric]:
    """The ``metricStat`` metrics of an alarm event; [] when it has none (composite alarm, expression only).

    An absent ``configuration`` or ``metrics`` is a shape AWS does send (composite alarms), so it is not malformed;
    present but of the wrong type is.
    """
    configuration = detail.get("configuration", {})
    if not isinstance(configuration, dict):
        raise MalformedEvent("configuration is not an object")
    entries = configuration.get("metrics", [])
    if not isinstance(entries, list):
        raise MalformedEvent("configuration.metrics is not a list")
    metrics = []
    for entry in entries:
        if not isinstance(entry, dict):
            raise MalformedEvent("configuration.metrics entry is not an object")
        if "metricStat" not in entry:  # a metric math / Metrics Insights expression
            continue
        metric = _field(_field(entry, "metricStat", dict), "metric", dict)
        dimensions = metric.get("dimensions", {})
        if not isinstance(dimensions, dict):
            raise MalformedEvent("metricStat.metric.dimensions is not an object")
        metrics.append(Metric(_field(metric, "namespace", str), _field(metric, "name", str), frozenset(dimensions)))
    return metrics


def _alarm(q: Quarantine, detail: Any, account: str) -> list[dict[str, Any]]:
    name, state = _field(detail, "alarmName", str), _field(detail, "state", dict)
    value, stamp = _field(state, "value", str), _field(state, "timestamp", str)
    if value != "ALARM":
        return [_log("ignored", alarm=name, state=value, detail="alarm is not in ALARM state")]
    if name not in q.config.quarantine_alarms:
        return [_log("ignored", alarm=name, state=value, detail="alarm not in QUARANTINE_ALARMS")]
    metrics = _alarm_metrics(detail)
    patterns = q.detection_patterns(name, metrics)
    roles: dict[str, datetime | None] = {}
    for pattern in sorted(set(patterns.values())):
        for arn, created in q.offending_roles(pattern, account, q.config.min_events.get(name, 1)).items():
            roles[arn] = _newest(roles[arn], created) if arn in roles else created
    info = {"alarm": name, "metric_filters": sorted(patterns)}
    if not roles:
        return [_log("ignored", logging.WARNING, **info, detail="no assumed role found in the trail")]
    qid = _safe(f"cw-{name}-{stamp}", 128)
    return [q.quarantine(arn.rsplit("/", 1)[-1], arn, qid, f"CloudWatch alarm {name} at {stamp}",
                         newest_session=roles[arn], **info)
            for arn in sorted(roles)]


def _dispatch(event: Any, context: LambdaContext) -> list[dict[str, Any]]:
    if not isinstance(event, dict):
        raise MalformedEvent("event is not a JSON object")
    config = load_config()
    if "ztai_action" in event:
        if event["ztai_action"] != "release":
            raise MalformedEvent("unknown ztai_action")
        role, qid = _field(event, "role_name", str), _field(event, "quarantine_id", str)
        if not ROLE_NAME_RE.fullmatch(role) or not role.startswith(config.prefix) or not 0 < len(qid) <= 128:
            raise MalformedEvent("release of a role outside MANAGED_ROLE_PREFIX or with an invalid id")
        return [Quarantine(config).release(role, qid)]
    kind = (event.get("source"), event.get("detail-type"))
    handlers = {("aws.guardduty", "GuardDuty Finding"): _guardduty,
                ("aws.cloudwatch", "CloudWatch Alarm State Change"): _alarm}
    if not all(isinstance(k, str) for k in kind) or kind not in handlers:
        raise MalformedEvent(f"unsupported source/detail-type {kind!r}")
    function_arn = context.invoked_function_arn  # arn:aws:lambda:<region>:<account>:function:<name>
    return handlers[kind](Quarantine(config, function_arn), event.get("detail"), function_arn.split(":")[4])


def handle(event: Any, context: LambdaContext) -> dict[str, Any]:
    try:
        return {"actions": _dispatch(event, context)}
    except MalformedEvent as error:
        _log("malformed-event", logging.ERROR, error=str(error),
             event=json.dumps(event, default=str, sort_keys=True)[:2000])
        raise
    except DetectionLookupFailed as error:
        _log("detection-lookup-failed", logging.ERROR, alarm=error.alarm, error=error.detail,
             event=json.dumps(event, default=str, sort_keys=True)[:2000])
        raise

"""SageMaker Studio for moto: domains, user profiles, spaces and apps as the
SageMaker API reference describes them, which moto 5.2.5 does not do (it keeps
CreateDomain/DescribeDomain/DeleteDomain as a record that is InService at once,
with no side effects, and answers HTML 500 to the rest).

`install()` puts one method per action on moto's `SageMakerResponse`, under the
action's snake_case name, which is how moto's server dispatches
`X-Amz-Target: SageMaker.CreateUserProfile`. Errors are moto's exception
classes, so clients get real AWS error answers. State lives on moto's SageMaker
backend of the request's account and Region, so accounts stay apart and
`/moto-api/reset` wipes it. Domains sit in moto's own `domains` dict, so moto's
tagging of `domain/…` ARNs keeps working.

Statuses move on by themselves: Pending → InService, Updating → InService,
Deleting → gone (apps: Deleting → Deleted), each after the resource's delay.
The delay is the launcher's setting (`SAGEMAKER_STUDIO_PENDING_SECONDS`, apps
`SAGEMAKER_STUDIO_APP_PENDING_SECONDS`), or the create call's tag
`emulator:delay-seconds`; a create tagged `emulator:fail-reason` ends Failed
with that FailureReason. As a test control, AddTags of `emulator:fail-reason`
(or `emulator:update-fail-reason`) on an existing domain, profile or space
puts it in Failed (Update_Failed) at once, without keeping the tag.
Transitions are applied when the account is next called, so nothing runs in
the background.

Every behaviour names the API-reference fact it follows; "Assumed" marks what
AWS does not document. emulator/README.md lists them all.
"""

from __future__ import annotations

import functools
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from moto.core.responses import ActionResult, EmptyResult
from moto.core.utils import utcnow
from moto.moto_api._internal import mock_random
from moto.sagemaker.exceptions import ResourceInUseException, ResourceNotFound, ValidationError
from moto.sagemaker.responses import SageMakerResponse
from moto.sagemaker.utils import arn_formatter

import home_efs

DELAY_TAG = "emulator:delay-seconds"
FAIL_TAG = "emulator:fail-reason"
# Test controls, read from AddTags on an existing domain, profile or space
# and not kept as tags: FAIL_TAG puts it in Failed, UPDATE_FAIL_TAG in
# Update_Failed, each with the tag's value as FailureReason.
UPDATE_FAIL_TAG = "emulator:update-fail-reason"
CONTROL_TAGS = {FAIL_TAG: "Failed", UPDATE_FAIL_TAG: "Update_Failed"}
# UserSettings.SecurityGroups: at most 5, but "SageMaker AI adds a security
# group to allow NFS traffic … the number of security groups that you can
# specify is one less than the maximum number shown".
MAX_USER_GROUPS = 4
# Apps that block removing subnets or changing AppNetworkAccessType
# (UpdateDomain: "no apps in the InService, Pending, or Deleting state").
ACTIVE_APPS = ("InService", "Pending", "Deleting")
GONE = "gone"

_LOCK = threading.RLock()  # moto's server is threaded; one request at a time in here
_HANDLERS: dict[str, Callable[[SageMakerResponse], ActionResult]] = {}


@dataclass
class Settings:
    pending_seconds: float = 0.0
    app_pending_seconds: float = 0.0


SETTINGS = Settings()


def install(pending_seconds: float = 0.0, app_pending_seconds: float | None = None) -> None:
    """Adds the Studio actions to moto's SageMaker and the EC2 guards of home_efs."""
    SETTINGS.pending_seconds = pending_seconds
    SETTINGS.app_pending_seconds = pending_seconds if app_pending_seconds is None else app_pending_seconds
    for name, handler in _HANDLERS.items():
        setattr(SageMakerResponse, name, _locked(handler))
    home_efs.install_ec2_guards(_LOCK)


def _locked(
    handler: Callable[[SageMakerResponse], ActionResult],
) -> Callable[[SageMakerResponse], ActionResult]:
    @functools.wraps(handler)
    def run(self: SageMakerResponse) -> ActionResult:
        with _LOCK:
            return handler(self)

    return run


def _action(
    handler: Callable[[SageMakerResponse], ActionResult],
) -> Callable[[SageMakerResponse], ActionResult]:
    _HANDLERS[handler.__name__] = handler
    return handler


# --- Resources -------------------------------------------------------------


class _Resource:
    """Status, tags and timestamps shared by domains, profiles, spaces and apps."""

    def __init__(self, arn: str, tags: list[dict[str, str]] | None, default_delay: float):
        self.arn = arn
        self.tags = list(tags or [])
        self.delay = _delay_from(self.tags, default_delay)
        self.fail_reason = _tag(self.tags, FAIL_TAG)
        self.failure_reason: str | None = None
        self.creation_time = self.last_modified_time = utcnow()
        self._move("Pending", "InService")

    def _move(self, status: str, then: str) -> None:
        """Sets `status` now and `then` (a status, or GONE) after the delay."""
        self.status, self._then = status, then
        self._due = time.monotonic() + self.delay
        self.last_modified_time = utcnow()

    def settle(self, now: float) -> bool:
        """Applies a due transition; False once the resource is gone."""
        if self._then is None or now < self._due:
            return True
        then, self._then = self._then, None
        if then == GONE:
            return False
        if self.status == "Pending" and self.fail_reason:
            then, self.failure_reason = "Failed", self.fail_reason
        elif then == "InService":
            self.failure_reason = None  # a successful update clears an earlier failure
        self.status = then
        return True

    def fail(self, status: str, reason: str) -> None:
        """The test control: `status` (Failed, Update_Failed) now, with `reason`."""
        self.status, self._then, self.failure_reason = status, None, reason
        self.last_modified_time = utcnow()


class Domain(_Resource):
    def __init__(self, account: str, region: str, domain_id: str, p: dict[str, Any]):
        super().__init__(
            arn_formatter("domain", domain_id, account, region), p.get("Tags"), SETTINGS.pending_seconds
        )
        self.id, self.name = domain_id, p["DomainName"]
        self.url = f"https://{domain_id}.studio.{region}.sagemaker.aws"
        self.auth_mode = p.get("AuthMode")
        self.default_user_settings = p.get("DefaultUserSettings") or {}
        self.domain_settings = p.get("DomainSettings")
        self.vpc_id, self.subnet_ids = p.get("VpcId"), list(p.get("SubnetIds") or [])
        # CreateDomain: "The default value is PublicInternetOnly."
        self.app_network_access_type = p.get("AppNetworkAccessType") or "PublicInternetOnly"
        self.kms_key_id = p.get("KmsKeyId") or p.get("HomeEfsFileSystemKmsKeyId")
        self.home_efs_kms_key_id = p.get("HomeEfsFileSystemKmsKeyId")
        self.app_security_group_management = p.get("AppSecurityGroupManagement")
        self.default_space_settings = p.get("DefaultSpaceSettings")
        self.tag_propagation = p.get("TagPropagation")
        self.home_efs_creation = p.get("HomeEfsFileSystemCreation")
        self.home_efs_id: str | None = None
        self.nfs_group_ids: tuple[str, str] | None = None
        self._uids = iter(range(200001, 10**9))

    def next_uid(self) -> str:
        """A HomeEfsFileSystemUid for a new profile or space (the values are assumed)."""
        return str(next(self._uids))

    def describe(self) -> dict[str, Any]:
        sso = self.auth_mode == "SSO"
        return _present(
            DomainArn=self.arn,
            DomainId=self.id,
            DomainName=self.name,
            HomeEfsFileSystemId=self.home_efs_id,
            SingleSignOnManagedApplicationInstanceId=f"ins-{self.id}" if sso else None,
            Status=self.status,
            CreationTime=self.creation_time,
            LastModifiedTime=self.last_modified_time,
            FailureReason=self.failure_reason,
            AuthMode=self.auth_mode,
            DefaultUserSettings=self.default_user_settings,
            DomainSettings=self.domain_settings,
            AppNetworkAccessType=self.app_network_access_type,
            HomeEfsFileSystemKmsKeyId=self.home_efs_kms_key_id,
            SubnetIds=self.subnet_ids or None,
            Url=self.url,
            VpcId=self.vpc_id,
            KmsKeyId=self.kms_key_id,
            AppSecurityGroupManagement=self.app_security_group_management,
            HomeEfsFileSystemCreation=self.home_efs_creation,
            TagPropagation=self.tag_propagation,
            DefaultSpaceSettings=self.default_space_settings,
        )

    def summary(self) -> dict[str, Any]:
        return _present(
            DomainArn=self.arn,
            DomainId=self.id,
            DomainName=self.name,
            Status=self.status,
            CreationTime=self.creation_time,
            LastModifiedTime=self.last_modified_time,
            Url=self.url,
        )


class UserProfile(_Resource):
    def __init__(self, domain: Domain, account: str, region: str, p: dict[str, Any]):
        name = p["UserProfileName"]
        arn = arn_formatter("user-profile", f"{domain.id}/{name}", account, region)
        super().__init__(arn, p.get("Tags"), SETTINGS.pending_seconds)
        self.domain_id, self.name, self.uid = domain.id, name, domain.next_uid()
        self.user_settings = p.get("UserSettings") or {}
        self.sso_identifier = p.get("SingleSignOnUserIdentifier")
        self.sso_value = p.get("SingleSignOnUserValue")

    def describe(self) -> dict[str, Any]:
        return _present(
            DomainId=self.domain_id,
            UserProfileArn=self.arn,
            UserProfileName=self.name,
            HomeEfsFileSystemUid=self.uid,
            Status=self.status,
            LastModifiedTime=self.last_modified_time,
            CreationTime=self.creation_time,
            FailureReason=self.failure_reason,
            SingleSignOnUserIdentifier=self.sso_identifier,
            SingleSignOnUserValue=self.sso_value,
            UserSettings=self.user_settings,
        )

    def summary(self) -> dict[str, Any]:
        return _present(
            DomainId=self.domain_id,
            UserProfileName=self.name,
            Status=self.status,
            CreationTime=self.creation_time,
            LastModifiedTime=self.last_modified_time,
        )


class Space(_Resource):
    def __init__(self, domain: Domain, account: str, region: str, p: dict[str, Any]):
        name = p["SpaceName"]
        super().__init__(
            arn_formatter("space", f"{domain.id}/{name}", account, region),
            p.get("Tags"),
            SETTINGS.pending_seconds,
        )
        self.domain_id, self.name, self.uid = domain.id, name, domain.next_uid()
        self.settings = p.get("SpaceSettings")
        self.ownership = p.get("OwnershipSettings")
        self.sharing = p.get("SpaceSharingSettings")
        self.display_name = p.get("SpaceDisplayName")

    def describe(self) -> dict[str, Any]:
        return _present(
            DomainId=self.domain_id,
            SpaceArn=self.arn,
            SpaceName=self.name,
            HomeEfsFileSystemUid=self.uid,
            Status=self.status,
            LastModifiedTime=self.last_modified_time,
            CreationTime=self.creation_time,
            FailureReason=self.failure_reason,
            SpaceSettings=self.settings,
            OwnershipSettings=self.ownership,
            SpaceSharingSettings=self.sharing,
            SpaceDisplayName=self.display_name,
        )

    def summary(self) -> dict[str, Any]:
        return _present(
            DomainId=self.domain_id,
            SpaceName=self.name,
            Status=self.status,
            CreationTime=self.creation_time,
            LastModifiedTime=self.last_modified_time,
            SpaceDisplayName=self.display_name,
            # ListSpaces SpaceDetails: OwnershipSettingsSummary and
            # SpaceSharingSettingsSummary, the owner and the sharing type.
            OwnershipSettingsSummary=_summary_of(self.ownership, "OwnerUserProfileName"),
            SpaceSharingSettingsSummary=_summary_of(self.sharing, "SharingType"),
        )

    def owner(self) -> str | None:
        """The profile that owns the space (a private space), if any."""
        return (self.ownership or {}).get("OwnerUserProfileName")


class App(_Resource):
    def __init__(
        self, domain: Domain, owner: UserProfile | Space, account: str, region: str, p: dict[str, Any]
    ):
        kind, name = p["AppType"], p["AppName"]
        arn = arn_formatter("app", f"{domain.id}/{owner.name}/{kind.lower()}/{name}", account, region)
        # CreateDomain/CreateUserProfile: their tags "are also added to all
        # Apps that the Domain [User Profile] launches".
        tags = _merge_tags(
            domain.tags, owner.tags if isinstance(owner, UserProfile) else [], p.get("Tags") or []
        )
        super().__init__(arn, tags, SETTINGS.app_pending_seconds)
        self.domain_id, self.type, self.name = domain.id, kind, name
        self.user_profile_name = owner.name if isinstance(owner, UserProfile) else None
        self.space_name = owner.name if isinstance(owner, Space) else None
        self.resource_spec = p.get("ResourceSpec")

    def describe(self) -> dict[str, Any]:
        return _present(
            AppArn=self.arn,
            AppType=self.type,
            AppName=self.name,
            DomainId=self.domain_id,
            UserProfileName=self.user_profile_name,
            SpaceName=self.space_name,
            Status=self.status,
            CreationTime=self.creation_time,
            FailureReason=self.failure_reason,
            ResourceSpec=self.resource_spec,
        )

    def summary(self) -> dict[str, Any]:
        return _present(
            DomainId=self.domain_id,
            UserProfileName=self.user_profile_name,
            SpaceName=self.space_name,
            AppType=self.type,
            AppName=self.name,
            Status=self.status,
            CreationTime=self.creation_time,
            ResourceSpec=self.resource_spec,
        )


@dataclass
class Studio:
    """Profiles, spaces and apps of one account and Region (domains are in moto's dict)."""

    profiles: dict[tuple[str, str], UserProfile] = field(default_factory=dict)  # (domain, lower-case name)
    spaces: dict[tuple[str, str], Space] = field(default_factory=dict)
    apps: dict[tuple[str, str | None, str | None, str, str], App] = field(default_factory=dict)


def _state(response: SageMakerResponse) -> tuple[Any, Studio]:
    """moto's backend and the Studio state of the caller, transitions applied."""
    backend = response.sagemaker_backend
    if not hasattr(backend, "studio"):
        backend.studio = Studio()
    studio, now = backend.studio, time.monotonic()
    for domain_id, domain in list(backend.domains.items()):
        if isinstance(domain, Domain) and not domain.settle(now):
            del backend.domains[domain_id]
    for resources in (studio.profiles, studio.spaces):
        for key, resource in list(resources.items()):
            if not resource.settle(now):
                del resources[key]
    for key, app in list(studio.apps.items()):
        app.settle(now)
        if app.user_profile_name:
            owner_left = (app.domain_id, app.user_profile_name.lower()) not in studio.profiles
        else:
            owner_left = (app.domain_id, app.space_name) not in studio.spaces
        if owner_left:  # its apps go with a deleted profile or space
            del studio.apps[key]
    return backend, studio


# --- Domains ---------------------------------------------------------------


@_action
def create_domain(self: SageMakerResponse) -> ActionResult:
    backend, _ = _state(self)
    p = _params(
        self,
        "DomainName",
        "AuthMode",
        "DefaultUserSettings",
        "DomainSettings",
        "SubnetIds",
        "VpcId",
        "Tags",
        "AppNetworkAccessType",
        "HomeEfsFileSystemKmsKeyId",
        "KmsKeyId",
        "AppSecurityGroupManagement",
        "HomeEfsFileSystemCreation",
        "TagPropagation",
        "DefaultSpaceSettings",
    )
    _need(p, "DomainName", "AuthMode")
    # Assumed: a second domain of the same name is refused (AWS does not say).
    if any(d.name == p["DomainName"] for d in _domains(backend)):
        raise ResourceInUseException(f"Domain with name {p['DomainName']} already exists.")
    vpc_id, subnet_ids = p.get("VpcId"), p.get("SubnetIds") or []
    # CreateDomain: VpcId and SubnetIds are optional only for PublicInternetOnly;
    # VpcOnly sends "all traffic … through the specified VPC and subnets".
    if p.get("AppNetworkAccessType") == "VpcOnly" and not (vpc_id and subnet_ids):
        raise ValidationError("VpcId and SubnetIds are required when AppNetworkAccessType is VpcOnly.")
    if bool(vpc_id) != bool(subnet_ids):
        raise ValidationError("VpcId and SubnetIds must be given together.")
    home_efs.check_network(self.current_account, self.region, vpc_id, subnet_ids)
    _check_group_count(_groups(p.get("DefaultUserSettings")), "DefaultUserSettings.SecurityGroups")

    domain_id = "d-" + mock_random.get_random_string(length=12, lower_case=True)
    domain = Domain(self.current_account, self.region, domain_id, p)
    _sync_home_efs(self, domain)
    backend.domains[domain_id] = domain
    return ActionResult({"DomainArn": domain.arn, "DomainId": domain.id, "Url": domain.url})


@_action
def describe_domain(self: SageMakerResponse) -> ActionResult:
    backend, _ = _state(self)
    return ActionResult(_domain(backend, self._get_param("DomainId")).describe())


@_action
def list_domains(self: SageMakerResponse) -> ActionResult:
    backend, _ = _state(self)
    items = sorted(_domains(backend), key=lambda d: d.creation_time)
    page, token = _page(self, [d.summary() for d in items])
    return ActionResult(_present(Domains=page, NextToken=token))


@_action
def update_domain(self: SageMakerResponse) -> ActionResult:
    backend, studio = _state(self)
    domain = _domain(backend, self._get_param("DomainId"))
    p = _params(
        self,
        "DefaultUserSettings",
        "DomainSettingsForUpdate",
        "AppSecurityGroupManagement",
        "DefaultSpaceSettings",
        "SubnetIds",
        "AppNetworkAccessType",
        "TagPropagation",
        "HomeEfsFileSystemCreation",
        "VpcId",
    )
    _require_settled(domain, f"Domain {domain.id}")
    _require_not_failed(domain, f"Domain {domain.id}")
    running = _apps_of(studio, domain.id, statuses=ACTIVE_APPS)

    access, vpc_id, subnet_ids = p.get("AppNetworkAccessType"), p.get("VpcId"), p.get("SubnetIds")
    # Observed AWS answer whenever an update carries VpcOnly without both
    # (terraform-provider-aws #45528).
    if access == "VpcOnly" and not (vpc_id and subnet_ids):
        raise ValidationError("VpcId and Subnet IDs are required for updating domains to VpcOnly mode.")
    # UpdateDomain VpcId: only "when adding VPC configuration to a … domain
    # that was created without VPC settings". Assumed: another VPC is refused.
    if vpc_id and domain.vpc_id and vpc_id != domain.vpc_id:
        raise ValidationError(f"Domain {domain.id} is in VPC {domain.vpc_id}; its VPC cannot be changed.")
    if subnet_ids is not None:
        home_efs.check_network(self.current_account, self.region, vpc_id or domain.vpc_id, subnet_ids)
        # UpdateDomain SubnetIds: "If removing subnets, ensure there are no
        # apps in the InService, Pending, or Deleting state."
        if set(domain.subnet_ids) - set(subnet_ids) and running:
            raise _apps_in_the_way(domain, running, "remove subnets")
    # UpdateDomain AppNetworkAccessType: "can only be modified if there are no
    # apps in the InService, Pending, or Deleting state."
    if access and access != domain.app_network_access_type and running:
        raise _apps_in_the_way(domain, running, "change AppNetworkAccessType")

    settings_update = p.get("DomainSettingsForUpdate") or {}
    rstudio = settings_update.get("RStudioServerProDomainSettingsForUpdate") or (
        (domain.domain_settings or {}).get("RStudioServerProDomainSettings")
    )
    # Observed AWS answer (terraform-provider-aws #39923).
    if p.get("AppSecurityGroupManagement") and not (rstudio or {}).get("DomainExecutionRoleArn"):
        raise ValidationError("AppSecurityGroupManagement can only be set for Rstudio enabled domains.")
    # DomainSettingsForUpdate.ExecutionRoleIdentityConfig: "can only be
    # modified if there are no apps in the InService or Pending state."
    identity = settings_update.get("ExecutionRoleIdentityConfig")
    if identity and identity != (domain.domain_settings or {}).get("ExecutionRoleIdentityConfig"):
        in_the_way = _apps_of(studio, domain.id, statuses=("InService", "Pending"))
        if in_the_way:
            raise _apps_in_the_way(domain, in_the_way, "change ExecutionRoleIdentityConfig")
    # UpdateDomain HomeEfsFileSystemCreation: "you cannot change from Enabled to Disabled".
    if p.get("HomeEfsFileSystemCreation") == "Disabled" and domain.home_efs_creation != "Disabled":
        raise ValidationError("HomeEfsFileSystemCreation cannot change from Enabled to Disabled.")
    if "DefaultUserSettings" in p:
        _check_group_count(_groups(p["DefaultUserSettings"]), "DefaultUserSettings.SecurityGroups")

    # Assumed: settings objects are merged key by key, not replaced whole.
    if "DefaultUserSettings" in p:
        domain.default_user_settings = {**domain.default_user_settings, **p["DefaultUserSettings"]}
    if "DefaultSpaceSettings" in p:
        domain.default_space_settings = {**(domain.default_space_settings or {}), **p["DefaultSpaceSettings"]}
    if settings_update:
        merged = dict(domain.domain_settings or {})
        for key, value in settings_update.items():
            if key == "RStudioServerProDomainSettingsForUpdate":
                key, value = "RStudioServerProDomainSettings", {
                    **merged.get("RStudioServerProDomainSettings", {}),
                    **value,
                }
            merged[key] = value
        domain.domain_settings = merged
    for attribute, key in [
        ("app_network_access_type", "AppNetworkAccessType"),
        ("tag_propagation", "TagPropagation"),
        ("app_security_group_management", "AppSecurityGroupManagement"),
        ("home_efs_creation", "HomeEfsFileSystemCreation"),
    ]:
        if p.get(key):
            setattr(domain, attribute, p[key])
    domain.vpc_id = vpc_id or domain.vpc_id
    if subnet_ids is not None:
        domain.subnet_ids = list(subnet_ids)
    # UpdateDomain HomeEfsFileSystemCreation: "You can change from Disabled to
    # Enabled to provision EFS on demand"; the mount targets follow the subnets.
    _sync_home_efs(self, domain)
    domain._move("Updating", "InService")
    return ActionResult({"DomainArn": domain.arn})


@_action
def delete_domain(self: SageMakerResponse) -> ActionResult:
    backend, studio = _state(self)
    domain = _domain(backend, self._get_param("DomainId"))
    _require_settled(domain, f"Domain {domain.id}")
    # DeleteDomain (developer guide, "Delete a domain"): "the domain cannot
    # contain any user profiles or shared spaces".
    profiles = sorted(p.name for (d, _), p in studio.profiles.items() if d == domain.id)
    spaces = sorted(s.name for (d, _), s in studio.spaces.items() if d == domain.id)
    if profiles or spaces:
        raise ResourceInUseException(
            f"Domain {domain.id} still has user profiles {profiles} and spaces {spaces}: delete them first."
        )
    policy = (self._get_param("RetentionPolicy") or {}).get("HomeEfsFileSystem", "Retain")
    if policy not in ("Retain", "Delete"):
        raise ValidationError(f"RetentionPolicy.HomeEfsFileSystem must be Retain or Delete, not {policy}.")
    # RetentionPolicy: "The default is Retain … Specify Delete to delete the
    # data stored on the Amazon EFS volume." It covers the file system only:
    # the NFS groups stay under either policy (assumed from AWS's silence and
    # from the clean-ups people publish; see emulator/README.md).
    if policy == "Delete" and domain.home_efs_id:
        home_efs.delete_file_system(self.current_account, self.region, domain.home_efs_id)
    domain._move("Deleting", GONE)
    return EmptyResult()


def _sync_home_efs(response: SageMakerResponse, domain: Domain) -> None:
    """Makes what the domain's home EFS needs and is missing: the file system,
    the NFS groups once there is a VPC, a mount target in each subnet's AZ.

    CreateDomain: "When a domain is created, an EFS volume is created for use
    by all of the users within the domain" (unless HomeEfsFileSystemCreation
    is Disabled), and "All traffic between the domain and the Amazon EFS
    volume is through the specified VPC and subnets".
    """
    account, region = response.current_account, response.region
    if domain.home_efs_creation == "Disabled":
        return
    if domain.home_efs_id is None:
        domain.home_efs_id = home_efs.create_file_system(
            account, region, domain.id, domain.arn, domain.kms_key_id
        )
    if domain.vpc_id and domain.nfs_group_ids is None:
        domain.nfs_group_ids = home_efs.create_nfs_groups(account, region, domain.id, domain.vpc_id)
    if domain.nfs_group_ids:
        home_efs.place_mount_targets(
            account, region, domain.home_efs_id, domain.subnet_ids, domain.nfs_group_ids[0]
        )


# --- User profiles ---------------------------------------------------------


@_action
def create_user_profile(self: SageMakerResponse) -> ActionResult:
    backend, studio = _state(self)
    p = _params(
        self,
        "DomainId",
        "UserProfileName",
        "SingleSignOnUserIdentifier",
        "SingleSignOnUserValue",
        "Tags",
        "UserSettings",
    )
    _need(p, "DomainId", "UserProfileName")
    domain = _ready_domain(backend, p["DomainId"])
    key = (domain.id, p["UserProfileName"].lower())  # UserProfileName: "This value is not case sensitive."
    if key in studio.profiles:
        raise ResourceInUseException(
            f"User profile {p['UserProfileName']} already exists in domain {domain.id}."
        )
    # CreateUserProfile: the SingleSignOnUser fields are required with IAM
    # Identity Center and "cannot be specified" otherwise.
    sso_given = bool(p.get("SingleSignOnUserIdentifier") or p.get("SingleSignOnUserValue"))
    if sso_given != (domain.auth_mode == "SSO"):
        raise ValidationError(
            "SingleSignOnUserIdentifier and SingleSignOnUserValue go with (only) AuthMode SSO."
        )
    _check_user_groups(domain, p.get("UserSettings"))
    profile = UserProfile(domain, self.current_account, self.region, p)
    studio.profiles[key] = profile
    return ActionResult({"UserProfileArn": profile.arn})


@_action
def describe_user_profile(self: SageMakerResponse) -> ActionResult:
    _, studio = _state(self)
    return ActionResult(
        _profile(studio, self._get_param("DomainId"), self._get_param("UserProfileName")).describe()
    )


@_action
def update_user_profile(self: SageMakerResponse) -> ActionResult:
    backend, studio = _state(self)
    profile = _profile(studio, self._get_param("DomainId"), self._get_param("UserProfileName"))
    _require_settled(profile, f"User profile {profile.name}")
    _require_not_failed(profile, f"User profile {profile.name}")
    settings = self._get_param("UserSettings")
    if settings is not None:
        merged = {**profile.user_settings, **settings}  # assumed: merged key by key
        _check_user_groups(_domain(backend, profile.domain_id), merged)
        profile.user_settings = merged
    profile._move("Updating", "InService")
    return ActionResult({"UserProfileArn": profile.arn})


@_action
def delete_user_profile(self: SageMakerResponse) -> ActionResult:
    _, studio = _state(self)
    profile = _profile(studio, self._get_param("DomainId"), self._get_param("UserProfileName"))
    _require_settled(profile, f"User profile {profile.name}")
    # Developer guide, "Delete a domain": "To delete a user profile …, the
    # profile … cannot contain any non-failed apps" (Deleted ones are gone).
    apps = _apps_of(studio, profile.domain_id, user=profile.name, statuses=ACTIVE_APPS)
    if apps:
        raise ResourceInUseException(
            f"User profile {profile.name} has apps {_names(apps)}: delete them first."
        )
    # Developer guide, "Remove user profiles": "All apps launched by a user
    # profile and all spaces owned by the user profile must be deleted to
    # delete the user profile." The code and wording are assumed, modelled
    # on the answer AWS gives for apps ("Unable to delete UserProfile [arn]
    # because App(s) are associated with it.", amazon-sagemaker-feedback #113).
    owned = sorted(
        s.name
        for s in studio.spaces.values()
        if s.domain_id == profile.domain_id and (s.owner() or "").lower() == profile.name.lower()
    )
    if owned:
        raise ResourceInUseException(
            f"Unable to delete UserProfile [{profile.arn}] because Space(s) {owned} are associated with it."
        )
    profile._move("Deleting", GONE)
    return EmptyResult()


@_action
def list_user_profiles(self: SageMakerResponse) -> ActionResult:
    _, studio = _state(self)
    domain_id = self._get_param("DomainIdEquals")
    contains = (self._get_param("UserProfileNameContains") or "").lower()
    items = [
        p for p in studio.profiles.values() if domain_id in (None, p.domain_id) and contains in p.name.lower()
    ]
    page, token = _page(self, [p.summary() for p in _sorted(self, items)])
    return ActionResult(_present(UserProfiles=page, NextToken=token))


# --- Spaces ----------------------------------------------------------------


@_action
def create_space(self: SageMakerResponse) -> ActionResult:
    backend, studio = _state(self)
    p = _params(
        self,
        "DomainId",
        "SpaceName",
        "Tags",
        "SpaceSettings",
        "OwnershipSettings",
        "SpaceSharingSettings",
        "SpaceDisplayName",
    )
    _need(p, "DomainId", "SpaceName")
    domain = _ready_domain(backend, p["DomainId"])
    if (domain.id, p["SpaceName"]) in studio.spaces:
        raise ResourceInUseException(f"Space {p['SpaceName']} already exists in domain {domain.id}.")
    # OwnershipSettings.OwnerUserProfileName: "The user profile who is the
    # owner of the space." Assumed: a profile of the domain (ResourceNotFound).
    owner = (p.get("OwnershipSettings") or {}).get("OwnerUserProfileName")
    if owner:
        _profile(studio, domain.id, owner)
    space = Space(domain, self.current_account, self.region, p)
    studio.spaces[(domain.id, space.name)] = space
    return ActionResult({"SpaceArn": space.arn})


@_action
def describe_space(self: SageMakerResponse) -> ActionResult:
    _, studio = _state(self)
    return ActionResult(_space(studio, self._get_param("DomainId"), self._get_param("SpaceName")).describe())


@_action
def delete_space(self: SageMakerResponse) -> ActionResult:
    _, studio = _state(self)
    space = _space(studio, self._get_param("DomainId"), self._get_param("SpaceName"))
    _require_settled(space, f"Space {space.name}")
    # As for profiles: "To delete a … shared space, the … space cannot
    # contain any non-failed apps".
    apps = _apps_of(studio, space.domain_id, space=space.name, statuses=ACTIVE_APPS)
    if apps:
        raise ResourceInUseException(f"Space {space.name} has apps {_names(apps)}: delete them first.")
    space._move("Deleting", GONE)
    return EmptyResult()


@_action
def list_spaces(self: SageMakerResponse) -> ActionResult:
    _, studio = _state(self)
    domain_id = self._get_param("DomainIdEquals")
    contains = self._get_param("SpaceNameContains") or ""
    items = [s for s in studio.spaces.values() if domain_id in (None, s.domain_id) and contains in s.name]
    page, token = _page(self, [s.summary() for s in _sorted(self, items)])
    return ActionResult(_present(Spaces=page, NextToken=token))


# --- Apps ------------------------------------------------------------------


@_action
def create_app(self: SageMakerResponse) -> ActionResult:
    backend, studio = _state(self)
    p = _params(
        self, "DomainId", "UserProfileName", "SpaceName", "AppType", "AppName", "Tags", "ResourceSpec"
    )
    _need(p, "DomainId", "AppType", "AppName")
    domain = _ready_domain(backend, p["DomainId"])
    owner = _owner(studio, domain.id, p.get("UserProfileName"), p.get("SpaceName"))
    # Assumed: an app is launched only for a profile or space that is ready.
    if owner.status not in ("InService", "Updating", "Update_Failed"):
        raise ResourceInUseException(f"{owner.name} is {owner.status}; an app needs it InService.")
    key = _app_key(domain.id, owner, p["AppType"], p["AppName"])
    existing = studio.apps.get(key)
    if existing and existing.status not in ("Deleted", "Failed"):
        raise ResourceInUseException(
            f"App {p['AppName']} ({p['AppType']}) already exists, {existing.status}."
        )
    app = App(domain, owner, self.current_account, self.region, p)
    studio.apps[key] = app
    return ActionResult({"AppArn": app.arn})


@_action
def describe_app(self: SageMakerResponse) -> ActionResult:
    _, studio = _state(self)
    return ActionResult(_app(self, studio).describe())


@_action
def delete_app(self: SageMakerResponse) -> ActionResult:
    _, studio = _state(self)
    app = _app(self, studio)
    # Developer guide: "You can only delete an app whose status is InService";
    # deleting a failed app "results in an error". Assumed: ResourceInUse.
    if app.status != "InService":
        raise ResourceInUseException(f"App {app.name} is {app.status}; only an InService app can be deleted.")
    app._move("Deleting", "Deleted")  # AppStatus has Deleted: DescribeApp still answers
    return EmptyResult()


@_action
def list_apps(self: SageMakerResponse) -> ActionResult:
    _, studio = _state(self)
    domain_id = self._get_param("DomainIdEquals")
    user, space = self._get_param("UserProfileNameEquals"), self._get_param("SpaceNameEquals")
    # ListApps UserProfileNameEquals: "If SpaceNameEquals is set, then this value cannot be set."
    if user and space:
        raise ValidationError("UserProfileNameEquals and SpaceNameEquals cannot both be set.")
    items = [
        a
        for a in studio.apps.values()
        if domain_id in (None, a.domain_id)
        and (not user or (a.user_profile_name or "").lower() == user.lower())
        and space in (None, a.space_name)
    ]
    page, token = _page(self, [a.summary() for a in _sorted(self, items)])
    return ActionResult(_present(Apps=page, NextToken=token))


# --- Tags of Studio ARNs (moto's own tagging cannot parse profile, space and app ARNs)


_original_tag_actions = {
    name: getattr(SageMakerResponse, name) for name in ("add_tags", "list_tags", "delete_tags")
}


@_action
def add_tags(self: SageMakerResponse) -> ActionResult:
    resource = _tagged(self)
    if resource is None:
        return _original_tag_actions["add_tags"](self)
    tags = self._get_param("Tags") or []
    controls = [t for t in tags if t.get("Key") in CONTROL_TAGS]
    if controls and isinstance(resource, App):
        raise ValidationError(f"{', '.join(CONTROL_TAGS)} are test controls for domains, profiles and spaces.")
    for control in controls:  # the test control: a failure now, not a tag
        resource.fail(CONTROL_TAGS[control["Key"]], control.get("Value") or "")
    kept = [t for t in tags if t.get("Key") not in CONTROL_TAGS]
    resource.tags = _merge_tags(resource.tags, kept)
    return ActionResult({"Tags": resource.tags})


@_action
def list_tags(self: SageMakerResponse) -> ActionResult:
    resource = _tagged(self)
    if resource is None:
        return _original_tag_actions["list_tags"](self)
    page, token = _page(self, resource.tags)
    return ActionResult(_present(Tags=page, NextToken=token))


@_action
def delete_tags(self: SageMakerResponse) -> ActionResult:
    resource = _tagged(self)
    if resource is None:
        return _original_tag_actions["delete_tags"](self)
    keys = set(self._get_param("TagKeys") or [])
    resource.tags = [t for t in resource.tags if t["Key"] not in keys]
    return EmptyResult()


def _tagged(response: SageMakerResponse) -> _Resource | None:
    """The Studio resource of ResourceArn, None for other ARNs (left to moto)."""
    arn = response._get_param("ResourceArn") or ""
    kind = arn.split(":", 5)[-1].split("/", 1)[0]
    if kind not in ("domain", "user-profile", "space", "app"):
        return None
    backend, studio = _state(response)
    resources = [
        *_domains(backend),
        *studio.profiles.values(),
        *studio.spaces.values(),
        *studio.apps.values(),
    ]
    for resource in resources:
        if resource.arn == arn:
            return resource
    raise ResourceNotFound(f"Resource {arn} not found.")


# --- Look-ups and checks ---------------------------------------------------
# Not found: ResourceNotFound, as the API reference lists for every Describe
# here. (terraform-provider-aws also accepts ValidationException "RecordNotFound"
# for spaces and apps, which AWS has answered: a provider must take both.)


def _domains(backend: Any) -> list[Domain]:
    return [d for d in backend.domains.values() if isinstance(d, Domain)]


def _domain(backend: Any, domain_id: str) -> Domain:
    domain = backend.domains.get(domain_id)
    if not isinstance(domain, Domain):
        raise ResourceNotFound(f"Domain {domain_id} not found.")
    return domain


def _ready_domain(backend: Any, domain_id: str) -> Domain:
    """The domain, ready for profiles, spaces and apps.

    Assumed: AWS refuses them while the domain is not InService (or being
    updated); a provider waits for InService anyway.
    """
    domain = _domain(backend, domain_id)
    if domain.status not in ("InService", "Updating", "Update_Failed"):
        raise ResourceInUseException(f"Domain {domain.id} is {domain.status}.")
    return domain


def _profile(studio: Studio, domain_id: str, name: str) -> UserProfile:
    profile = studio.profiles.get((domain_id, (name or "").lower()))
    if profile is None:
        raise ResourceNotFound(f"User profile {name} not found in domain {domain_id}.")
    return profile


def _space(studio: Studio, domain_id: str, name: str) -> Space:
    space = studio.spaces.get((domain_id, name))
    if space is None:
        raise ResourceNotFound(f"Space {name} not found in domain {domain_id}.")
    return space


def _owner(studio: Studio, domain_id: str, user: str | None, space: str | None) -> UserProfile | Space:
    # CreateApp UserProfileName: "If this value is not set, then SpaceName must be set."
    if bool(user) == bool(space):
        raise ValidationError("Exactly one of UserProfileName and SpaceName must be set.")
    return _profile(studio, domain_id, user) if user else _space(studio, domain_id, space)


def _app_key(
    domain_id: str, owner: UserProfile | Space, kind: str, name: str
) -> tuple[str, str | None, str | None, str, str]:
    if isinstance(owner, UserProfile):
        return (domain_id, owner.name.lower(), None, kind, name)
    return (domain_id, None, owner.name, kind, name)


def _app(response: SageMakerResponse, studio: Studio) -> App:
    domain_id = response._get_param("DomainId")
    owner = _owner(
        studio, domain_id, response._get_param("UserProfileName"), response._get_param("SpaceName")
    )
    kind, name = response._get_param("AppType"), response._get_param("AppName")
    app = studio.apps.get(_app_key(domain_id, owner, kind, name))
    if app is None:
        raise ResourceNotFound(f"App {name} ({kind}) not found for {owner.name} in domain {domain_id}.")
    return app


def _apps_of(
    studio: Studio,
    domain_id: str,
    *,
    statuses: tuple[str, ...],
    user: str | None = None,
    space: str | None = None,
) -> list[App]:
    return [
        a
        for a in studio.apps.values()
        if a.domain_id == domain_id
        and a.status in statuses
        and (user is None or (a.user_profile_name or "").lower() == user.lower())
        and (space is None or a.space_name == space)
    ]


def _apps_in_the_way(domain: Domain, apps: list[App], what: str) -> ValidationError:
    # Modelled on the answer AWS gives an update blocked by apps
    # (terraform-provider-aws #31912): ValidationException.
    return ValidationError(
        f"Unable to {what} of Domain [{domain.arn}] with apps {_names(apps)} InService, Pending or Deleting. "
        "Delete the apps, and try again."
    )


def _names(apps: list[App]) -> list[str]:
    return sorted(f"{a.user_profile_name or a.space_name}/{a.type}/{a.name} ({a.status})" for a in apps)


def _require_not_failed(resource: _Resource, what: str) -> None:
    """Developer guide, "Amazon SageMaker AI domain entities and statuses": a
    Failed domain or profile is deleted and created again, never updated
    (after Update_Failed, updating again is the way out). Assumed:
    ValidationException."""
    if resource.status == "Failed":
        raise ValidationError(
            f"{what} is Failed ({resource.failure_reason}): it cannot be updated; delete it and create it again."
        )


def _require_settled(resource: _Resource, what: str) -> None:
    """Assumed: AWS refuses to update or delete a resource mid-transition."""
    if resource.status in ("Pending", "Updating", "Deleting"):
        raise ResourceInUseException(f"{what} is {resource.status}; try again once it is not.")


def _groups(settings: dict[str, Any] | None) -> list[str]:
    return list((settings or {}).get("SecurityGroups") or [])


def _check_group_count(groups: list[str], where: str) -> None:
    if len(set(groups)) > MAX_USER_GROUPS:
        raise ValidationError(
            f"{where}: at most {MAX_USER_GROUPS} security groups (SageMaker adds one for NFS), not {len(set(groups))}."
        )


def _check_user_groups(domain: Domain, settings: dict[str, Any] | None) -> None:
    # UserSettings.SecurityGroups: "aggregated when specified in both calls";
    # "Required when … AppNetworkAccessType … is VpcOnly, unless specified as
    # part of the DefaultUserSettings for the domain."
    groups = [*_groups(domain.default_user_settings), *_groups(settings)]
    _check_group_count(groups, "SecurityGroups of the domain and the profile together")
    if domain.app_network_access_type == "VpcOnly" and not groups:
        raise ValidationError(
            "SecurityGroups are required in a VpcOnly domain (in the profile or the domain defaults)."
        )


# --- Request and response helpers ------------------------------------------


def _params(response: SageMakerResponse, *names: str) -> dict[str, Any]:
    """The request's parameters among `names` that were sent."""
    values = {name: response._get_param(name) for name in names}
    return {name: value for name, value in values.items() if value is not None}


def _need(params: dict[str, Any], *names: str) -> None:
    missing = [name for name in names if not params.get(name)]
    if missing:
        raise ValidationError(f"Missing required parameters: {', '.join(missing)}.")


def _present(**fields: Any) -> dict[str, Any]:
    """The fields that have a value (AWS leaves absent ones out)."""
    return {key: value for key, value in fields.items() if value is not None}


def _sorted(response: SageMakerResponse, items: list[Any]) -> list[Any]:
    # List* SortBy: "The default is CreationTime"; SortOrder: "The default is Ascending".
    by = "last_modified_time" if response._get_param("SortBy") == "LastModifiedTime" else "creation_time"
    return sorted(
        items, key=lambda r: getattr(r, by), reverse=response._get_param("SortOrder") == "Descending"
    )


def _page(response: SageMakerResponse, items: list[Any]) -> tuple[list[Any], str | None]:
    """One page of `items` (List* MaxResults: "The default value … is 10")."""
    token = response._get_param("NextToken")
    size = int(response._get_param("MaxResults") or 10)
    try:
        start = int(token) if token else 0
    except ValueError:
        raise ValidationError(f"Invalid NextToken {token}.")
    end = start + size
    return items[start:end], (str(end) if end < len(items) else None)


def _summary_of(settings: dict[str, Any] | None, key: str) -> dict[str, Any] | None:
    """`{key: value}` from `settings`, or None when it has no such key."""
    value = (settings or {}).get(key)
    return None if value is None else {key: value}


def _tag(tags: list[dict[str, str]], key: str) -> str | None:
    return next((t.get("Value") for t in tags if t.get("Key") == key), None)


def _merge_tags(*lists: list[dict[str, str]]) -> list[dict[str, str]]:
    """Later lists win per key (AddTags overwrites a key's value)."""
    merged: dict[str, dict[str, str]] = {}
    for tags in lists:
        for tag in tags:
            merged[tag["Key"]] = tag
    return list(merged.values())


def _delay_from(tags: list[dict[str, str]], default: float) -> float:
    value = _tag(tags, DELAY_TAG)
    if value is None:
        return default
    try:
        return float(value)
    except ValueError:
        raise ValidationError(f"Tag {DELAY_TAG} must be a number of seconds, not {value!r}.")

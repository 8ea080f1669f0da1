"""``DataDomain.allow_service``: the door for a key-policy statement AWS documents for a service
(and the doors of the deployment role's requests and of the roles the app passes to a store,
``allow_deployment_requests`` and ``allow_passed_role``).

The store methods and :meth:`~cdk_partition.DataDomain.allow_service_publisher` write the
statements of the services the library has a contract for. A service it has no contract for
(or a statement AWS documents differently) is declared here, with the AWS page it follows: the
statement is checked now (the same check as the audit's CDKP106,
:func:`cdk_partition.audit.service_statements.service_statement_problems`), written into the key
policy with a ``AllowService<Name>`` Sid, and its page recorded on the key
(``cdk_partition:service_statements`` metadata) so that the audit and the report show it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from constructs import Construct

from ..audit.service_statements import literal_scopes, service_statement_problems
from ..knowledge.capabilities import KMS_KEY_ACTIONS, SERVICE_SID_PREFIX
from ..knowledge.contract_shapes import fill as contract_shapes_fill
from ..marks import SERVICE_STATEMENTS_METADATA_KEY
from ..policy import evaluator
from . import key_policy
from ._messages import path_of

if TYPE_CHECKING:
    from aws_cdk import aws_kms as kms

    _Mixin = Construct  # mixed into DataDomain (a Construct)
else:
    _Mixin = object

_SERVICE = re.compile(r"^[a-z0-9][a-z0-9.-]*\.amazonaws\.com(\.cn)?$")
_AWS_PAGE = re.compile(r"https://(docs\.aws\.amazon\.com|docs\.amazonaws\.cn|aws\.amazon\.com)/\S+")
_MIN_WORDS = 4


class ServiceDoor(_Mixin):
    """Mixin of :class:`~cdk_partition.DataDomain`: :meth:`allow_service`."""

    key: kms.Key

    if TYPE_CHECKING:  # defined by DataDomain

        def add_to_key_policy(
            self, statement: iam.PolicyStatement
        ) -> iam.AddToResourcePolicyResult: ...

        def _add_service_statement(self, statement: iam.PolicyStatement) -> None: ...

        def _exempt_from_deny(self, arn: str) -> None: ...

        def _note_cross_stack_grant(
            self, principal: Any, call: str, store_stack: cdk.Stack
        ) -> None: ...

    def allow_service(
        self,
        service: str,
        *,
        actions: Sequence[str],
        source: str,
        conditions: Mapping[str, Mapping[str, Any]] | None = None,
        source_keys_unsupported: str | None = None,
        replace_cdk_statements: bool = False,
    ) -> iam.PolicyStatement:
        """Allow the AWS service principal ``service`` the KMS ``actions`` on the domain key,
        under ``conditions``, as the AWS page ``source`` documents it.

        The statement is checked now and again by the audit (CDKP106): for a service with a
        service contract (:data:`cdk_partition.knowledge.contracts.CONTRACTS`) the contract's
        actions only, with a condition where AWS supports one; for any other service data
        actions only (``kms:Decrypt``, ``kms:GenerateDataKey*``, ``kms:Encrypt``,
        ``kms:ReEncryptFrom``, ``kms:DescribeKey``; never administration or grants), scoped by
        ``aws:SourceArn`` / ``aws:SourceAccount`` / ``aws:SourceOrgID`` or an encryption-context
        key. The report lists the statement with ``source``.

        :param service: the service principal, e.g. ``"cloudwatch.amazonaws.com"``.
        :param actions: the KMS actions AWS documents for it, without wildcards.
        :param source: the AWS page the statement follows, ``"Title (https://docs.aws...)"``
            or its URL.
        :param conditions: the condition block AWS documents, e.g.
            ``{"StringEquals": {"aws:SourceAccount": stack.account}}``. Values known at synth
            or pseudo parameters (a ``${AWS::AccountId}`` placeholder in a string is written
            as ``Fn::Sub`` of it); never a token of a domain store (the key would depend on a
            store that depends on the key: a cycle CloudFormation refuses). A wildcard account
            or ARN of any account is refused; a literal one of another account is the audit's
            to judge against the app's wiring (CDKP106 unless the app wires a delivery from
            it). Default: none, which passes only with ``source_keys_unsupported`` or a
            contract whose rows are unconditioned.
        :param source_keys_unsupported: AWS's words (a sentence, quoted from ``source``) that
            the source condition keys are not supported for this service's KMS requests; the
            statement may then stay unscoped. Default: the statement must be scoped.
        :param replace_cdk_statements: True: the statements aws-cdk-lib's L2s wrote on the key for
            ``service`` are left out in favour of the declared ones, even where they allow more
            requests (the CDK's are often unscoped: ``topic.grant_publish`` behind a CodeBuild
            project's ``notify_on_*`` gives ``codestar-notifications.amazonaws.com`` the key for
            every source); the service's requests must then match what you declare. Default:
            an L2's statement stays unless the declared statements for that service allow every
            request it allows (decided by the prover): a declaration for another need of the
            service does not drop it.
        :returns: the statement (Sid ``AllowService<Name>``, numbered when a service has two).
        :raises ValueError: for a name that is not a service principal, actions that are not
            KMS key actions or go beyond the service's needs, a missing AWS page, an unscoped
            statement without ``source_keys_unsupported``, or a condition on a resource's token.
        """
        where = f"{path_of(self)}: allow_service({service!r})"
        if not isinstance(service, str) or not _SERVICE.match(service):
            raise ValueError(
                f"{where}: {service!r} is not an AWS service principal (a name such as "
                "'cloudwatch.amazonaws.com'). Roles and users are named with grant_read / "
                "grant_write."
            )
        if isinstance(actions, str) or not actions:
            raise ValueError(f"{where}: actions takes a non-empty list, e.g. ['kms:Decrypt'].")
        unknown = [a for a in actions if a not in KMS_KEY_ACTIONS]
        if unknown:
            raise ValueError(
                f"{where}: {unknown} are not KMS key actions as written (no wildcards): name "
                "each action AWS documents, e.g. ['kms:GenerateDataKey', 'kms:Decrypt']."
            )
        if not isinstance(source, str) or not _AWS_PAGE.search(source):
            raise ValueError(
                f"{where}: source={source!r} names no AWS documentation page; pass the page the "
                "statement follows, 'Title (https://docs.aws.amazon.com/...)'."
            )
        if (
            source_keys_unsupported is not None
            and len(source_keys_unsupported.split()) < _MIN_WORDS
        ):
            raise ValueError(
                f"{where}: source_keys_unsupported takes AWS's sentence that the source keys are "
                f"not supported for this service (from {source}); got {source_keys_unsupported!r}."
            )
        stack = cdk.Stack.of(self)
        conditions = _pseudo_parameters(conditions) if conditions else conditions
        rendered = stack.resolve(dict(conditions)) if conditions else None
        if rendered and key_policy.references_resource(rendered):
            raise ValueError(
                f"{where}: conditions name a resource's token ({rendered}); the key would depend "
                "on a resource that depends on the key, a cycle CloudFormation refuses. Scope it "
                "by aws:SourceAccount, or by aws:SourceArn with an ARN pattern known at synth."
            )
        declared = {"source": source, "source_keys_unsupported": source_keys_unsupported}
        account = None if cdk.Token.is_unresolved(stack.account) else stack.account
        problems = list(
            service_statement_problems(
                service,
                actions,
                evaluator.canonicalize(rendered),
                declared=declared,
                account=account or "${AWS::AccountId}",
                # a literal account or ARN of another account only the app's wiring can vouch
                # for: the audit judges it (CDKP106); a wildcard is refused here
                wired=literal_scopes(evaluator.canonicalize(rendered)),
            )
        )
        if problems:
            raise ValueError(
                f"{where}: the statement {' '.join(problems)} Write the statement AWS documents "
                "for the service's own requests."
            )
        sids: dict[str, int] = self.__dict__.setdefault("_door_sids", {})
        base = SERVICE_SID_PREFIX + "".join(
            p.capitalize() for p in re.split(r"[.-]", service.split(".amazonaws.com")[0])
        )
        sids[base] = sids.get(base, 0) + 1
        sid = base if sids[base] == 1 else f"{base}{sids[base]}"
        statement = iam.PolicyStatement(
            sid=sid,
            effect=iam.Effect.ALLOW,
            principals=[iam.ServicePrincipal(service)],
            actions=list(actions),
            resources=["*"],
            conditions=dict(conditions) if conditions else None,
        )
        self.add_to_key_policy(statement)
        self.__dict__.setdefault("_door_statements", []).append((service, statement))
        if replace_cdk_statements:
            self.__dict__.setdefault("_door_replaces", set()).add(service)
        marks: list[dict[str, Any]] = self.__dict__.setdefault("_door_marks", [])
        marks.append({"sid": sid, "service": service, "actions": list(actions), **declared})
        cfn_key = self.key.node.default_child
        assert isinstance(cfn_key, cdk.CfnResource)
        # on every key of the domain: its replicas carry the statement too (add_to_key_policy)
        keys = [cfn_key, *(r.cfn_key for r in getattr(self, "replicas", ()))]
        for key in keys:
            key.add_metadata(SERVICE_STATEMENTS_METADATA_KEY, list(marks))
        return statement

    def allow_deployment_requests(self, cfn_type: str) -> None:
        """Let the deployment role make the requests AWS documents for creating a resource of
        ``cfn_type`` on the domain key that the domain does not write on its own: requests the
        deploying principal makes outside any service (AWS documents no ``kms:ViaService`` for
        them: a SageMaker domain, an EKS cluster, a DMS replication instance...), or through a
        service with an action the domain's deployment statements do not hold.

        The statements (``AllowDeploymentDirect<Store>``, one per contract row, each with the
        row's actions and the conditions AWS documents for it: ``kms:ViaService``,
        ``kms:GrantIsForAWSResource``, ``kms:CallerAccount``) are written at synth when a
        resource of ``cfn_type`` is on the key, and only then. Without this call such a
        resource is ``CDKP107`` (the key refuses what AWS requests), whose fix is this call:
        the deployment role then uses the key outside a service, a widening you accept per type
        (the report lists the statement). Rows: :func:`cdk_partition.knowledge.contract_shapes.door_rows`,
        each citing its AWS page (docs: "What the key allows, and why").

        :param cfn_type: the CloudFormation type, e.g. ``"AWS::SageMaker::Domain"``.
        :raises ValueError: for a type without such requests, or whose requests include a key
            administration or key-policy action (``kms:PutKeyPolicy``...), which the deployment
            role of a domain key never gets.
        """
        from ..knowledge import contract_shapes

        refusal = contract_shapes.door_refusal(cfn_type)
        if refusal:
            raise ValueError(
                f"{path_of(self)}: allow_deployment_requests({cfn_type!r}): {refusal}. Keep "
                "resources of this type off the domain key (a key of their own), or create them "
                "with a store method when one exists."
            )
        self.__dict__.setdefault("_direct_types", set()).add(cfn_type)

    def allow_passed_role(self, role: iam.IRole | iam.IGrantable, cfn_type: str) -> None:
        """Let ``role``, a role the app passes to resources of ``cfn_type`` on the domain key (the
        property the contract rows name: a state machine's ``RoleArn``, a SageMaker HyperPod
        cluster's ``InstanceGroups[].ExecutionRole``, a CodeBuild project's ``ServiceRole``),
        make the KMS requests AWS documents for it, and nothing more.

        One statement per row (``AllowPassedRole<Store>[<n>]``), each with the row's data and
        grant actions under every condition of its request context AWS documents
        (``kms:ViaService`` where the role calls through a service, an encryption context as an
        ARN pattern of the key's account and region, ``kms:GrantIsForAWSResource``); the role is
        let past ``DenyEveryoneElse``. Without this call (or a capability that covers the
        requests) such a resource is ``CDKP024``, whose fix is this call. Rows:
        :data:`cdk_partition.knowledge.run_roles.ROLES_BY_TYPE`, each citing its AWS page (docs:
        "Identities"). The statements of a type whose rows document grants not for an AWS
        resource (a SageMaker domain's execution role, ``kms:CreateGrant`` unscoped) give the
        role that power: a widening you accept per role and type (the report lists the
        statement).

        :param role: the role (an ``iam.Role``, an imported role, or a construct with a
            ``grant_principal``).
        :param cfn_type: the CloudFormation type, e.g. ``"AWS::SageMaker::Cluster"``.
        :raises ValueError: for a type with no such rows, rows whose requests a statement
            cannot repeat (an example value in their request context), or a principal that is
            not a single IAM role or user ARN.
        """
        from ..knowledge import run_roles

        where = f"{path_of(self)}: allow_passed_role(..., {cfn_type!r})"
        refusal = run_roles.passed_role_refusal(cfn_type)
        if refusal:
            raise ValueError(
                f"{where}: {refusal}. Put resources of this type in a stack that is not a "
                "DomainStack, with a key of their own."
            )
        principal = getattr(role, "grant_principal", None) or role
        arn = key_policy.principal_arn(
            principal,  # type: ignore[arg-type]
            capability=f"{where}, role",
            scope=self,
        )
        stack = cdk.Stack.of(self)
        values = {
            "{partition}": stack.partition,
            "{region}": stack.region,
            "{account}": stack.account,
        }
        for sid, row in run_roles.door_rows(cfn_type):
            actions = run_roles.statement_actions(row)
            if not actions:
                continue
            conditions = contract_shapes_fill(run_roles.door_conditions(row), values)
            written: dict[str, iam.PolicyStatement] = self.__dict__.setdefault("_passed", {})
            statement = written.get(sid)
            if statement is None:
                statement = iam.PolicyStatement(
                    sid=sid,
                    effect=iam.Effect.ALLOW,
                    principals=[iam.ArnPrincipal(arn)],
                    actions=actions,
                    resources=["*"],
                    conditions=conditions or None,
                )
                written[sid] = statement
                self._add_service_statement(statement)
            else:  # a second role for the same rows: one statement names both
                statement.add_arn_principal(arn)
        self._exempt_from_deny(arn)
        node = getattr(principal, "node", None)
        if node is not None:  # checked at synth for a cycle (_refuse_cyclic_grants)
            self._note_cross_stack_grant(
                principal, f"allow_passed_role({node.path}, {cfn_type!r})", stack
            )


def _pseudo_parameters(conditions: Mapping[str, Any]) -> dict[str, Any]:
    """``conditions`` with each string that holds a pseudo parameter placeholder
    (``${AWS::AccountId}``, as a finding's fix prints it for an environment-agnostic stack) made
    an ``Fn::Sub`` of it: written as a plain string, CloudFormation would keep the placeholder
    as literal text ("The intrinsic function Fn::Sub substitutes variables in an input string
    with values that you specify", AWS CloudFormation Template Reference, "Fn::Sub",
    https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/intrinsic-function-reference-sub.html),
    which no request carries."""

    def sub(value: Any) -> Any:
        if isinstance(value, str) and not cdk.Token.is_unresolved(value) and "${AWS::" in value:
            return cdk.Fn.sub(value)
        if isinstance(value, list):
            return [sub(v) for v in value]
        if isinstance(value, Mapping):
            return {k: sub(v) for k, v in value.items()}
        return value

    return {k: sub(v) for k, v in conditions.items()}

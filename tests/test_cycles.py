"""Template dependency cycles: what makes a resource depend on another (DependsOn, Ref,
Fn::GetAtt, Fn::Sub, anywhere but Type and Condition), and each cycle reported once, in
dependency order from its smallest logical id; checked on hand-built templates, on the shape the
CDK synthesizes for a domain bucket that notifies a domain queue, and with hypothesis against
random graphs."""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cdk_partition.assembly.cycles import (
    DEFAULT_CYCLE_LIMIT,
    circular_components,
    components,
    dependencies,
    find_cycles,
)

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _template(resources: Mapping[str, Mapping[str, Any]], **sections: Any) -> dict[str, Any]:
    return {
        "Resources": {lid: {"Type": "AWS::SQS::Queue", **body} for lid, body in resources.items()},
        **sections,
    }


def _props(value: Any) -> dict[str, Any]:
    return {"Properties": {"Value": value}}


# -- what makes a dependency -------------------------------------------------------------------


@pytest.mark.parametrize("depends_on", ["B", ["B"], ["B", "Missing"]])
def test_depends_on_cycle(depends_on: str | list[str]) -> None:
    t = _template({"A": {"DependsOn": depends_on}, "B": {"DependsOn": "A"}})
    assert dependencies(t) == {"A": {"B"}, "B": {"A"}}
    assert find_cycles(t) == [["A", "B"]]
    assert circular_components(t) == [["A", "B"]]


@pytest.mark.parametrize(
    "reference",
    [
        {"Ref": "B"},
        {"Fn::GetAtt": "B.Arn"},
        {"Fn::GetAtt": ["B", "Arn"]},
        {"Fn::GetAtt": ["B", {"Ref": "AttrParam"}]},
        {"Fn::GetAtt": "B.Outputs.Name"},
        {"Fn::Sub": "arn:${AWS::Partition}:sqs:::${B}"},
        {"Fn::Sub": "${B.Arn}/*"},
        {"Fn::Sub": "${ B.Arn }"},
        {"Fn::Sub": ["${B.Arn}-${Suffix}", {"Suffix": "x"}]},
    ],
)
def test_ref_getatt_sub_cycle(reference: dict[str, Any]) -> None:
    t = _template(
        {"A": _props(reference), "B": _props({"Ref": "A"})},
        Parameters={"AttrParam": {"Type": "String"}},
    )
    assert dependencies(t) == {"A": {"B"}, "B": {"A"}}
    assert find_cycles(t) == [["A", "B"]]


def test_references_nest_in_any_function() -> None:
    nested = {
        "Fn::If": [
            "IsProd",
            {"Fn::Join": ["", [{"Fn::Select": [0, [{"Fn::GetAtt": ["B", "Arn"]}]]}, "/x"]]},
            {"Fn::Base64": {"Fn::Sub": ["${V}", {"V": {"Fn::ImportValue": {"Ref": "C"}}}]}},
        ]
    }
    t = _template(
        {"A": _props([{"Deep": [nested]}]), "B": {}, "C": {}},
        Conditions={"IsProd": {"Fn::Equals": ["a", "b"]}},
    )
    assert dependencies(t)["A"] == {"B", "C"}
    assert find_cycles(t) == []


def test_three_resource_cycle_reported_once_in_dependency_order() -> None:
    # Zeta -> Alpha -> Mid -> Zeta (each depends on the next), declared in any order
    bodies = {
        "Zeta": _props({"Fn::GetAtt": ["Alpha", "Arn"]}),
        "Alpha": _props({"Fn::Sub": "${Mid}"}),
        "Mid": {"DependsOn": ["Zeta"]},
        "Other": _props({"Ref": "Zeta"}),  # depends on the cycle, is not in it
    }
    expected = [["Alpha", "Mid", "Zeta"]]
    for order in itertools.permutations(bodies):
        t = _template({lid: bodies[lid] for lid in order})
        assert find_cycles(t) == expected
        assert circular_components(t) == expected


@pytest.mark.parametrize(
    "body",
    [
        _props({"Ref": "Self"}),
        _props({"Fn::GetAtt": "Self.Arn"}),
        _props({"Fn::Sub": "${Self.Arn}"}),
        {"DependsOn": "Self"},
    ],
)
def test_self_reference_is_a_cycle_of_one(body: dict[str, Any]) -> None:
    t = _template({"Self": body, "Other": _props({"Ref": "Self"})})
    assert find_cycles(t) == [["Self"]]
    assert circular_components(t) == [["Self"]]


def test_no_cycle_through_parameters_pseudo_parameters_conditions_outputs_or_plain_metadata() -> (
    None
):
    t = {
        "Parameters": {"Env": {"Type": "String"}, "BootstrapVersion": {"Type": "String"}},
        "Conditions": {
            "IsProd": {"Fn::Equals": [{"Ref": "Env"}, "prod"]},
            "Both": {"Fn::And": [{"Condition": "IsProd"}, {"Fn::Equals": ["B", "B"]}]},
        },
        "Rules": {
            "Check": {"Assertions": [{"Assert": {"Fn::Not": [{"Ref": "BootstrapVersion"}]}}]}
        },
        "Resources": {
            "A": {
                "Type": "AWS::SQS::Queue",
                "Condition": "IsProd",
                "Properties": {
                    "QueueName": {"Fn::Sub": "${Env}-${AWS::Region}-${AWS::AccountId}"},
                    "Tags": [{"Key": "p", "Value": {"Ref": "AWS::Partition"}}],
                    "Policy": {"Fn::If": ["Both", {"Ref": "B"}, {"Ref": "AWS::NoValue"}]},
                },
                # names of other resources as text are not references
                "Metadata": {"aws:cdk:path": "Stack/B/Resource", "note": "B", "see": ["B"]},
                "DeletionPolicy": "Retain",
                "UpdateReplacePolicy": "Retain",
            },
            "B": {
                "Type": "AWS::SQS::Queue",
                "Properties": {"QueueName": {"Fn::Join": ["-", [{"Ref": "Env"}, "A"]]}},
                "Metadata": {"aws:cdk:path": "Stack/A/Resource"},
            },
        },
        "Outputs": {
            "AArn": {"Value": {"Fn::GetAtt": ["A", "Arn"]}, "Condition": "IsProd"},
            "BName": {"Value": {"Ref": "B"}, "Export": {"Name": {"Fn::Sub": "${A}-${B}"}}},
        },
    }
    assert dependencies(t) == {"A": {"B"}, "B": set()}
    assert find_cycles(t) == []
    assert circular_components(t) == []


def test_a_reference_in_metadata_is_a_dependency() -> None:
    """CloudFormation resolves intrinsic functions in Metadata ("Metadata attribute": "to add
    those interpreted values"), so the referenced resource comes first; cfn-lint's graph agrees and
    templates use it as a conditional DependsOn (see the module docstring)."""
    t = _template(
        {
            "A": {"Metadata": {"AWS::CloudFormation::Init": {"config": {"x": {"Ref": "B"}}}}},
            "B": _props({"Ref": "A"}),
        }
    )
    assert dependencies(t) == {"A": {"B"}, "B": {"A"}}
    assert find_cycles(t) == [["A", "B"]]


def test_update_and_creation_policies_are_searched() -> None:
    t = _template(
        {
            "Alias": {
                "UpdatePolicy": {
                    "CodeDeployLambdaAliasUpdate": {"ApplicationName": {"Ref": "App"}}
                },
                "CreationPolicy": {"ResourceSignal": {"Count": {"Ref": "Count"}}},
            },
            "App": {},
        },
        Parameters={"Count": {"Type": "Number"}},
    )
    assert dependencies(t)["Alias"] == {"App"}


def test_sub_literal_and_variable_map() -> None:
    resources = {
        "A": {},
        "B": {},
        "C": {},
        "Literal": _props({"Fn::Sub": "${!A} ${!B.Arn} ${! C}"}),
        # a name of the map is the variable, not the resource; the map's values are read
        "Shadowed": _props({"Fn::Sub": ["${A}-${B.Arn}", {"A": "a", "B.Arn": "b"}]}),
        "Valued": _props({"Fn::Sub": ["${Name}", {"Name": {"Fn::GetAtt": ["C", "Arn"]}}]}),
        "Mixed": _props({"Fn::Sub": ["${A}/${B}", {"A": {"Ref": "AWS::Region"}}]}),
        "NotAResource": _props({"Fn::Sub": "${Missing}${AWS::StackName}${}"}),
    }
    graph = dependencies(_template(resources))
    assert graph["Literal"] == set()
    assert graph["Shadowed"] == set()
    assert graph["Valued"] == {"C"}
    assert graph["Mixed"] == {"B"}
    assert graph["NotAResource"] == set()


def test_sub_variable_map_value_can_close_a_cycle() -> None:
    t = _template(
        {
            "A": _props({"Fn::Sub": ["${Queue}", {"Queue": {"Fn::GetAtt": "B.Arn"}}]}),
            "B": _props({"Fn::Sub": ["${A}", {"A": "not-the-resource"}]}),
        }
    )
    assert find_cycles(t) == []
    t["Resources"]["B"]["Properties"]["Value"] = {"Fn::Sub": "${A}"}
    assert find_cycles(t) == [["A", "B"]]


def test_only_declared_resources_count() -> None:
    t = _template(
        {"A": {"DependsOn": ["Nope", 3], "Properties": {"X": {"Ref": "Param"}}}},
        Parameters={"Param": {"Type": "String"}},
    )
    t["Resources"]["Fn::ForEach::Queues"] = ["Name", ["x"], {}]  # not a resource declaration
    assert dependencies(t) == {"A": set()}
    assert dependencies({}) == {}
    assert find_cycles({"Resources": {}}) == []


# -- the CDK's shape ---------------------------------------------------------------------------

KEY = "DomainKeyEFD04CB2"
BUCKET = "DomainBucketC99DE342"
QUEUE = "DomainQueue913C418F"
HANDLER = "BucketNotificationsHandler050a0587b7544547bf325f094a3db8347ECC3691"
HANDLER_ROLE = "BucketNotificationsHandler050a0587b7544547bf325f094a3db834RoleB6FB88EC"


def _key_arn() -> dict[str, Any]:
    return {"Fn::GetAtt": [KEY, "Arn"]}


def _cdk_domain_template(source_arn: Any) -> dict[str, Any]:
    """What the CDK synthesizes (trimmed) for a domain bucket that notifies a domain queue: the
    key policy lets S3 use the key when ``aws:SourceArn`` is the bucket, and the bucket's default
    encryption is the key."""
    account = {"Ref": "AWS::AccountId"}
    root = {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":iam::", account, ":root"]]}
    return {
        "Parameters": {"BootstrapVersion": {"Type": "AWS::SSM::Parameter::Value<String>"}},
        "Resources": {
            KEY: {
                "Type": "AWS::KMS::Key",
                "Properties": {
                    "EnableKeyRotation": True,
                    "KeyPolicy": {
                        "Statement": [
                            {
                                "Action": "kms:*",
                                "Effect": "Allow",
                                "Principal": {"AWS": root},
                                "Resource": "*",
                            },
                            {
                                "Action": [
                                    "kms:Decrypt",
                                    "kms:Encrypt",
                                    "kms:ReEncrypt*",
                                    "kms:GenerateDataKey*",
                                ],
                                "Condition": {"ArnLike": {"aws:SourceArn": source_arn}},
                                "Effect": "Allow",
                                "Principal": {"Service": "s3.amazonaws.com"},
                                "Resource": "*",
                            },
                        ],
                        "Version": "2012-10-17",
                    },
                },
                "UpdateReplacePolicy": "Retain",
                "DeletionPolicy": "Retain",
                "Metadata": {"aws:cdk:path": "Probe/Domain/Key/Resource"},
            },
            "DomainAliasEBA855DE": {
                "Type": "AWS::KMS::Alias",
                "Properties": {"AliasName": "alias/orders", "TargetKeyId": _key_arn()},
            },
            BUCKET: {
                "Type": "AWS::S3::Bucket",
                "Properties": {
                    "BucketEncryption": {
                        "ServerSideEncryptionConfiguration": [
                            {
                                "BucketKeyEnabled": True,
                                "ServerSideEncryptionByDefault": {
                                    "KMSMasterKeyID": _key_arn(),
                                    "SSEAlgorithm": "aws:kms",
                                },
                            }
                        ]
                    }
                },
                "UpdateReplacePolicy": "Retain",
                "DeletionPolicy": "Retain",
                "Metadata": {"aws:cdk:path": "Probe/Domain/Bucket/Resource"},
            },
            "DomainBucketPolicy589E66DD": {
                "Type": "AWS::S3::BucketPolicy",
                "Properties": {
                    "Bucket": {"Ref": BUCKET},
                    "PolicyDocument": {
                        "Statement": [
                            {
                                "Action": "s3:PutObject",
                                "Condition": {
                                    "StringNotEquals": {
                                        "s3:x-amz-server-side-encryption-aws-kms-key-id": (
                                            _key_arn()
                                        )
                                    }
                                },
                                "Effect": "Deny",
                                "Principal": {"AWS": "*"},
                                "Resource": {
                                    "Fn::Join": ["", [{"Fn::GetAtt": [BUCKET, "Arn"]}, "/*"]]
                                },
                            }
                        ]
                    },
                },
            },
            QUEUE: {"Type": "AWS::SQS::Queue", "Properties": {"KmsMasterKeyId": _key_arn()}},
            "DomainQueuePolicy8BDD28CE": {
                "Type": "AWS::SQS::QueuePolicy",
                "Properties": {
                    "PolicyDocument": {
                        "Statement": [
                            {
                                "Action": ["sqs:SendMessage", "sqs:GetQueueAttributes"],
                                "Condition": {
                                    "ArnLike": {"aws:SourceArn": {"Fn::GetAtt": [BUCKET, "Arn"]}}
                                },
                                "Effect": "Allow",
                                "Principal": {"Service": "s3.amazonaws.com"},
                                "Resource": {"Fn::GetAtt": [QUEUE, "Arn"]},
                            }
                        ]
                    },
                    "Queues": [{"Ref": QUEUE}],
                },
            },
            HANDLER_ROLE: {
                "Type": "AWS::IAM::Role",
                "Properties": {
                    "ManagedPolicyArns": [
                        {
                            "Fn::Join": [
                                "",
                                [
                                    "arn:",
                                    {"Ref": "AWS::Partition"},
                                    ":iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
                                ],
                            ]
                        }
                    ]
                },
            },
            HANDLER: {
                "Type": "AWS::Lambda::Function",
                "Properties": {"Role": {"Fn::GetAtt": [HANDLER_ROLE, "Arn"]}},
                "DependsOn": [HANDLER_ROLE],
            },
            "DomainBucketNotifications611DAAD2": {
                "Type": "Custom::S3BucketNotifications",
                "Properties": {
                    "ServiceToken": {"Fn::GetAtt": [HANDLER, "Arn"]},
                    "BucketName": {"Ref": BUCKET},
                    "NotificationConfiguration": {
                        "QueueConfigurations": [
                            {
                                "Events": ["s3:ObjectCreated:*"],
                                "QueueArn": {"Fn::GetAtt": [QUEUE, "Arn"]},
                            }
                        ]
                    },
                    "Managed": True,
                },
                "DependsOn": ["DomainBucketPolicy589E66DD", "DomainQueuePolicy8BDD28CE", QUEUE],
            },
        },
        "Outputs": {"BucketArn": {"Value": {"Fn::GetAtt": [BUCKET, "Arn"]}}},
        "Rules": {
            "CheckBootstrapVersion": {
                "Assertions": [
                    {
                        "Assert": {
                            "Fn::Not": [{"Fn::Contains": [["1", "2"], {"Ref": "BootstrapVersion"}]}]
                        }
                    }
                ]
            }
        },
    }


def test_cdk_bucket_notifying_a_domain_queue_is_a_cycle() -> None:
    t = _cdk_domain_template({"Fn::GetAtt": [BUCKET, "Arn"]})
    graph = dependencies(t)
    assert graph[KEY] == {BUCKET}  # the key policy's aws:SourceArn condition
    assert graph[BUCKET] == {KEY}  # the bucket's default encryption
    # Bucket -> Key -> Bucket, from the smallest id
    assert find_cycles(t) == [[BUCKET, KEY]]
    assert circular_components(t) == [[BUCKET, KEY]]


def test_cdk_shape_with_a_literal_source_arn_has_no_cycle() -> None:
    t = _cdk_domain_template(["arn:aws:s3:::orders-uploads-*"])
    assert find_cycles(t) == []


# -- size and limits ---------------------------------------------------------------------------

_MECHANISMS = ("DependsOn", "Ref", "GetAttText", "GetAttList", "Sub", "SubMapValue")


def _edge(mechanism: str, target: str) -> tuple[str, Any]:
    """One dependency on ``target``, expressed as ``mechanism``: (attribute, value)."""
    if mechanism == "DependsOn":
        return "DependsOn", target
    value = {
        "Ref": {"Ref": target},
        "GetAttText": {"Fn::GetAtt": f"{target}.Arn"},
        "GetAttList": {"Fn::GetAtt": [target, "Arn"]},
        "Sub": {"Fn::Sub": "arn:${AWS::Partition}:x:::${" + target + ".Arn}"},
        "SubMapValue": {"Fn::Sub": ["${V}", {"V": {"Ref": target}}]},
    }[mechanism]
    return "Properties", value


def _graph_template(edges: Mapping[str, list[tuple[str, str]]]) -> dict[str, Any]:
    """A template whose resource ``node`` depends on each ``(target, mechanism)`` of its list."""
    resources: dict[str, Any] = {}
    for node, targets in edges.items():
        body: dict[str, Any] = {"Type": "AWS::SNS::Topic", "Properties": {"Values": []}}
        for target, mechanism in targets:
            attribute, value = _edge(mechanism, target)
            if attribute == "DependsOn":
                body.setdefault("DependsOn", []).append(value)
            else:
                body["Properties"]["Values"].append(value)
        resources[node] = body
    return {"Resources": resources}


def _chain(n: int) -> dict[str, Any]:
    edges = {
        f"R{i:03d}": [(f"R{i - 1:03d}", _MECHANISMS[i % len(_MECHANISMS)])] if i else []
        for i in range(n)
    }
    return _graph_template(edges)


def test_500_chained_resources_have_no_cycle() -> None:
    t = _chain(500)
    graph = dependencies(t)
    assert sum(map(len, graph.values())) == 499
    assert find_cycles(t) == []
    assert circular_components(t) == []


def test_500_resource_ring_is_one_cycle_without_recursion() -> None:
    t = _chain(500)
    t["Resources"]["R000"]["DependsOn"] = ["R499"]  # R000 -> R499 -> R498 ... -> R000
    cycles = find_cycles(t)
    assert cycles == [["R000", *(f"R{i:03d}" for i in range(499, 0, -1))]]
    assert circular_components(t) == [sorted(t["Resources"])]


def test_limit_bounds_cycles_per_component_and_keeps_the_shortest() -> None:
    nodes = [f"N{i}" for i in range(7)]  # complete digraph: 2,365 elementary cycles
    t = _graph_template({a: [(b, "Ref") for b in nodes if b != a] for a in nodes})
    assert len(find_cycles(t, limit=10_000)) == sum(
        len(list(itertools.combinations(nodes, k))) * _factorial(k - 1) for k in range(2, 8)
    )
    limited = find_cycles(t, limit=5)
    assert len(limited) == 5
    assert limited[0] == ["N0", "N1"]
    assert all(cycle[0] == "N0" for cycle in limited)
    assert len(find_cycles(t)) == DEFAULT_CYCLE_LIMIT
    with pytest.raises(ValueError, match="at least 1"):
        find_cycles(t, limit=0)


def _factorial(n: int) -> int:
    out = 1
    for i in range(2, n + 1):
        out *= i
    return out


def test_components_are_in_reverse_topological_order() -> None:
    graph = {"a": ["b"], "b": ["c", "a"], "c": ["d"], "d": [], "e": ["a", "x"]}
    assert components(graph) == [["d"], ["c"], ["a", "b"], ["e"]]


# -- properties --------------------------------------------------------------------------------


def _reaches(edges: Mapping[str, set[str]], source: str) -> set[str]:
    seen = {source}
    pending = [source]
    while pending:
        for nxt in edges[pending.pop()]:
            if nxt not in seen:
                seen.add(nxt)
                pending.append(nxt)
    return seen


def _paths(edges: Mapping[str, set[str]], source: str, target: str) -> int:
    memo: dict[str, int] = {}

    def count(node: str) -> int:  # DAG, at most 12 nodes deep
        if node == target:
            return 1
        if node not in memo:
            memo[node] = sum(count(nxt) for nxt in edges[node])
        return memo[node]

    return count(source)


@st.composite
def dags(draw: st.DrawFn) -> tuple[list[str], dict[str, list[tuple[str, str]]]]:
    """Random DAGs: node i may depend only on nodes of lower index, by any mechanism."""
    n = draw(st.integers(2, 12))
    names = [f"R{i:02d}" for i in range(n)]
    edges: dict[str, list[tuple[str, str]]] = {name: [] for name in names}
    for i in range(n):
        for j in range(i):
            if draw(st.booleans()):
                edges[names[i]].append((names[j], draw(st.sampled_from(_MECHANISMS))))
    return names, edges


@FAST
@given(dags())
def test_random_dags_have_no_cycle(dag: tuple[list[str], dict[str, list[tuple[str, str]]]]) -> None:
    names, edges = dag
    t = _graph_template(edges)
    assert dependencies(t) == {node: {target for target, _ in edges[node]} for node in names}
    assert find_cycles(t) == []
    assert circular_components(t) == []


@FAST
@given(dags(), st.data())
def test_one_back_edge_makes_exactly_the_nodes_on_its_paths_a_cycle(
    dag: tuple[list[str], dict[str, list[tuple[str, str]]]], data: st.DataObject
) -> None:
    names, edges = dag
    high = data.draw(st.integers(1, len(names) - 1))
    low = data.draw(st.integers(0, high - 1))
    hi, lo = names[high], names[low]
    graph = {node: {target for target, _ in edges[node]} for node in names}
    if lo not in _reaches(graph, hi):  # make lo reachable from hi (still a DAG)
        edges[hi].append((lo, "Ref"))
        graph[hi].add(lo)
    paths = _paths(graph, hi, lo)
    on_paths = {node for node in _reaches(graph, hi) if lo in _reaches(graph, node)}
    edges[lo].append((hi, data.draw(st.sampled_from(_MECHANISMS))))  # the back edge
    graph[lo].add(hi)
    t = _graph_template(edges)

    assert circular_components(t) == [sorted(on_paths)]
    cycles = find_cycles(t, limit=10_000)
    # one elementary cycle per path from hi to lo, each closed by the back edge lo -> hi
    assert len(cycles) == paths
    assert len({tuple(cycle) for cycle in cycles}) == paths
    assert set().union(*cycles) == on_paths
    for cycle in cycles:
        assert cycle[:2] == [lo, hi]  # lo is the smallest id on any such cycle
        assert len(set(cycle)) == len(cycle)
        assert all(cycle[(k + 1) % len(cycle)] in graph[cycle[k]] for k in range(len(cycle)))
    assert min(map(len, cycles)) == len(cycles[0])


def _brute_force_cycles(graph: Mapping[str, set[str]]) -> set[tuple[str, ...]]:
    nodes = sorted(graph)
    found: set[tuple[str, ...]] = set()
    for size in range(1, len(nodes) + 1):
        for perm in itertools.permutations(nodes, size):
            if perm[0] == min(perm) and all(
                perm[(k + 1) % size] in graph[perm[k]] for k in range(size)
            ):
                found.add(perm)
    return found


def _square(n: int) -> st.SearchStrategy[list[list[bool]]]:
    row = st.lists(st.booleans(), min_size=n, max_size=n)
    return st.lists(row, min_size=n, max_size=n)


@FAST
@given(st.integers(1, 6).flatmap(_square))
def test_every_elementary_cycle_once_against_brute_force(matrix: list[list[bool]]) -> None:
    names = [f"N{i}" for i in range(len(matrix))]
    graph = {
        a: {names[j] for j, edge in enumerate(row) if edge}
        for a, row in zip(names, matrix, strict=True)
    }
    t = _graph_template({a: [(b, "Ref") for b in sorted(graph[a])] for a in names})
    cycles = find_cycles(t, limit=10_000)
    assert len(cycles) == len({tuple(c) for c in cycles})
    assert {tuple(c) for c in cycles} == _brute_force_cycles(graph)
    members = {n for c in cycles for n in c}
    assert {n for comp in circular_components(t) for n in comp} == members

"""The nested stacks reference each other exactly along the graph in DEVELOPERS.md, and nowhere else."""

from napstack.assembly import nested_stack_name

# Each arrow of the graph: producer -> consumer (a constructor argument).
GRAPH = {
    ("SecurityGroups", "Efs"),
    ("Container", "Efs"),
    ("Container", "EcsAsg"),
    ("SecurityGroups", "EcsAsg"),
    ("Efs", "EcsAsg"),
    ("Container", "Watchdog"),
    ("EcsAsg", "Watchdog"),
    ("EcsAsg", "AsgStateChangeHook"),
    ("Watchdog", "AsgStateChangeHook"),
}


def referenced_nested_stacks(value) -> set[str]:
    """Logical ids of nested stacks whose outputs `value` reads (Fn::GetAtt [<NestedStack>, Outputs.x])."""
    found = set()
    if isinstance(value, dict):
        get_att = value.get("Fn::GetAtt")
        if isinstance(get_att, list) and str(get_att[1]).startswith("Outputs."):
            found.add(get_att[0])
        for child in value.values():
            found |= referenced_nested_stacks(child)
    elif isinstance(value, list):
        for child in value:
            found |= referenced_nested_stacks(child)
    return found


def edges(leaf) -> set[tuple[str, str]]:
    result = set()
    for logical_id, resource in leaf.resources.items():
        if resource["Type"] == "AWS::CloudFormation::Stack":
            consumer = nested_stack_name(logical_id)
            for producer in referenced_nested_stacks(resource["Properties"].get("Parameters", {})):
                result.add((nested_stack_name(producer), consumer))
    return result


def undirected(pairs):
    return {frozenset(pair) for pair in pairs}


def test_every_edge_of_the_graph_is_a_reference(leaf):
    missing = undirected(GRAPH) - undirected(edges(leaf))
    assert not missing, f"graph edges with no reference between the nested stacks: {missing}"


def test_no_reference_crosses_outside_the_graph(leaf):
    extra = undirected(edges(leaf)) - undirected(GRAPH)
    assert not extra, f"references between nested stacks the graph does not have: {extra}"


def test_references_flow_along_the_arrows(leaf):
    # One exception by construction: Efs adds its volumes to the Container's task definition, so the task
    # definition (in Container) reads the file system and access points from Efs.
    reversed_by_design = {("Container", "Efs")}
    actual = edges(leaf)
    for producer, consumer in GRAPH - reversed_by_design:
        assert (producer, consumer) in actual, f"{consumer} does not read from {producer}"
    assert ("Efs", "Container") in actual

"""The A record's life as CloudFormation sees it: create asleep, keep the live value on update, delete any value."""

from __future__ import annotations

from dataclasses import dataclass

# Route53 DELETE needs the record's current values: a change between our read and our delete (the hook
# pointing DNS at a starting server) fails the batch, and a fresh read settles it.
DELETE_ATTEMPTS = 5


@dataclass(frozen=True)
class RecordSpec:
    hosted_zone_id: str
    name: str
    ttl: int
    asleep_ip: str

    @classmethod
    def from_properties(cls, properties: dict) -> "RecordSpec":
        return cls(
            hosted_zone_id=properties["HostedZoneId"],
            name=properties["RecordName"],
            ttl=int(properties["Ttl"]),  # CloudFormation passes every property as text
            asleep_ip=properties["AsleepIp"],
        )


def _fqdn(name: str) -> str:
    return name.rstrip(".").lower() + "."


def record_id(spec: RecordSpec) -> str:
    """The record's identity for CloudFormation: its zone and its name. Another zone or name is another record, and
    a new physical id is what makes CloudFormation delete the old one once the update is done."""
    return f"{spec.hosted_zone_id}/{_fqdn(spec.name)}"


def same_record(old: RecordSpec, new: RecordSpec) -> bool:
    return record_id(old) == record_id(new)


def current_record(route53, spec: RecordSpec) -> dict | None:
    """The A record set of `spec.name` as Route53 holds it, or None."""
    found = route53.list_resource_record_sets(
        HostedZoneId=spec.hosted_zone_id, StartRecordName=spec.name, StartRecordType="A", MaxItems="1"
    )["ResourceRecordSets"]
    if found and _fqdn(found[0]["Name"]) == _fqdn(spec.name) and found[0]["Type"] == "A":
        return found[0]
    return None


def _change(route53, spec: RecordSpec, action: str, record_set: dict) -> None:
    route53.change_resource_record_sets(
        HostedZoneId=spec.hosted_zone_id,
        ChangeBatch={
            "Comment": f"napstack {spec.name}",
            "Changes": [{"Action": action, "ResourceRecordSet": record_set}],
        },
    )


def _a_record(spec: RecordSpec, values: list[str]) -> dict:
    return {"Name": spec.name, "Type": "A", "TTL": spec.ttl, "ResourceRecords": [{"Value": v} for v in values]}


def create_record(route53, spec: RecordSpec) -> str:
    """Point the name at the asleep address (over any leftover record: nothing runs yet)."""
    _change(route53, spec, "UPSERT", _a_record(spec, [spec.asleep_ip]))
    return f"{spec.name} -> {spec.asleep_ip}"


def update_record(route53, old: RecordSpec, new: RecordSpec) -> str:
    """A new name or zone is a new record (CloudFormation deletes the old one); the same name keeps the value
    it has now, which may be a running server's address, and takes the new TTL."""
    if not same_record(old, new):
        return create_record(route53, new)
    record = current_record(route53, new)
    if record is None or "ResourceRecords" not in record:
        return create_record(route53, new)
    values = [r["Value"] for r in record["ResourceRecords"]]
    _change(route53, new, "UPSERT", _a_record(new, values))
    return f"{new.name} keeps {', '.join(values)}, TTL {new.ttl}"


def delete_record(route53, spec: RecordSpec) -> str:
    """Delete the record whatever it points at now; a record already gone is deleted."""
    for _ in range(DELETE_ATTEMPTS):
        record = current_record(route53, spec)
        if record is None:
            return f"{spec.name} already gone"
        try:
            _change(route53, spec, "DELETE", record)
            return f"{spec.name} deleted (was {', '.join(r['Value'] for r in record.get('ResourceRecords', []))})"
        except route53.exceptions.InvalidChangeBatch:
            continue  # changed since we read it
    raise RuntimeError(f"{spec.name} kept changing while being deleted ({DELETE_ATTEMPTS} attempts)")

"""What a config costs per month, line by line, from the prices in prices.json. No AWS calls."""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path

from napstack.config import EfsConfig, NapstackConfig

PRICES_FILE = Path(__file__).with_name("prices.json")
HOURS_PER_MONTH = 730
# Measured by replaying the real state machines (tests/emulator/test_cost_inputs.py keeps these honest).
WATCHDOG_TRANSITIONS_PER_CHECK = 3
WATCHDOG_TRANSITIONS_AT_SCALE_DOWN = 4
WATCHDOG_TRANSITIONS_WHEN_READY = 1  # the ready alert, once a session (first answered query, or first listen)
HOOK_TRANSITIONS_PER_START = 12
HOOK_TRANSITIONS_PER_STOP = 13
# Usage assumptions, stated in the output.
LAMBDA_GB = 0.25
CHECK_SECONDS = 1.0
# The reconciler (stacks/reconciler.py): a 128 MB function, its run billed with its cold start (Lambda bills the
# init phase), a few describe calls; Lambda's own START/END/REPORT lines are all it logs when nothing is wrong.
RECONCILER_GB = 0.125
RECONCILE_SECONDS = 1.0
LOG_KB_PER_RECONCILE = 0.3
LOG_KB_PER_CHECK = 2.0
CONTAINER_LOG_MB_PER_HOUR = 5.0
# CloudWatch custom metrics, billed per metric for each hour it is published in (prorated metric-months): the check's
# EMF metrics every play hour (Connections, UdpPackets, SshSessions, and Players or QueryUnanswered with a query;
# HostCheckFailed only when a check fails), the ready figures once a session (functions/count_connections).
CHECK_METRICS = 3
CHECK_METRICS_WITH_QUERY = 4
READY_METRICS = 3  # WakeToLaunchSeconds, WakeToRunningTaskSeconds, WakeToReadySeconds
NOTIFICATIONS_PER_SESSION = 3  # starting, ready, stopped; problems are rare
NOTIFY_SECONDS = 1.0  # one webhook post per channel, billed while it waits for the answer
# The status page (stacks/status_page.py): friends open it while a server starts; each view asks the group and, when
# up, the game (at most 1.5 s); a starting one asks CloudWatch for its past starts (GetMetricStatistics).
PAGE_VIEWS_PER_SESSION = 20
PAGE_SECONDS = 0.5
PAGE_LOG_KB_PER_VIEW = 1.0
PAGE_STARTING_SHARE = 0.5  # views made while a server starts, each with one metric request
DNS_QUERIES_PER_SESSION = 500  # resolvers retry while the server starts; the TTL is low
QUERY_LOG_LINE_BYTES = 150  # one Route53 query-log line as CloudWatch Logs bills it (~110 bytes of text, metadata)
QUERY_LOG_DAYS_KEPT = 7  # the Start stack's retention
START_SERVER_SECONDS = 0.2  # one start_server invocation: a describe, maybe a tag and a scale
QUERY_LOG_REGION = "us-east-1"  # where Route53 writes query logs and start_server runs, whatever LeafRegion
DAYS_PER_MONTH = 30.4
WORLD_READ_PER_SESSION = 1.0  # a session after a sleep reads the whole world back (a worst case: games load regions)
WORLD_CHANGED_PER_SESSION = 0.05  # share of the world a session rewrites: what an incremental backup stores anew
# Ec2.WarmPool: after each stop the pool refills with a fresh launch that boots, pulls the game's image and is stopped
# (billed per second, at least a minute); a stopped instance releases its public IPv4 address and keeps its volume.
REFILL_MINUTES = 5


class PriceError(Exception):
    """No price for what the config asks: the message says what is missing and how to add it."""


@dataclass(frozen=True)
class Line:
    item: str
    quantity: str
    usd_per_month: float
    paid_while_idle: bool


@dataclass(frozen=True)
class Estimate:
    region: str
    instance_type: str
    hours_per_month: float
    sessions_per_month: int
    storage_gb: float
    lines: list[Line]
    # Figures of another region (us-east-1's) used because prices.json has none of this region's own.
    borrowed: list[str] = field(default_factory=list)

    @property
    def total(self) -> float:
        return sum(line.usd_per_month for line in self.lines)

    @property
    def idle_total(self) -> float:
        return sum(line.usd_per_month for line in self.lines if line.paid_while_idle)

    asleep_month: float = 0.0  # the same config with nobody playing for a whole month (world long cold)
    asleep_without_warm_pool: float | None = None  # with Ec2.WarmPool: the asleep month were it off

    @property
    def per_play_hour(self) -> float:
        return (self.total - self.idle_total) / self.hours_per_month if self.hours_per_month else 0.0

    def as_json(self) -> dict:
        data = asdict(self)
        data.update(
            total=round(self.total, 4),
            idle_total=round(self.idle_total, 4),
            per_play_hour=round(self.per_play_hour, 5),
            asleep_month=round(self.asleep_month, 4),
        )
        return data


def load_prices(path: Path = PRICES_FILE) -> dict:
    return json.loads(path.read_text())


def _price(prices: dict, region: str, key: str, instance_type: str | None = None, borrowed: set | None = None) -> float:
    """The figure for `key` in `region`; one of another region (a `region` field: us-east-1's, where prices.json has
    none of the region's own) is added to `borrowed`, so the estimate says so instead of passing it off as local."""
    regional = prices["regions"].get(region)
    if regional is None:
        raise PriceError(
            f"no prices for region {region!r} (known: {', '.join(sorted(prices['regions']))}); "
            f"add it to {PRICES_FILE.name} with each figure's source and date, or price a known region with --region"
        )
    if instance_type is not None:
        entry = regional["ec2_hourly"].get(instance_type)
        if entry is None:
            raise PriceError(
                f"no price for instance type {instance_type!r} in {region} "
                f"(known: {', '.join(sorted(regional['ec2_hourly']))}); add its on-demand Linux price to "
                f"{PRICES_FILE.name} under regions.{region}.ec2_hourly with its source and date"
            )
        return entry["usd"]
    figure = regional.get(key) or prices["global"][key]
    if borrowed is not None and figure.get("region", region) != region:
        borrowed.add(key)
    return figure["usd"]


def estimate(
    config: NapstackConfig,
    hours_per_month: float = 60,
    region: str | None = None,
    storage_gb: float = 10,
    sessions_per_month: int | None = None,
    prices: dict | None = None,
    zone_queries: int = 0,
    page_views: int | None = None,
) -> Estimate:
    prices = prices or load_prices()
    region = region or config.base.leaf_region  # where the leaf runs, as the watchdog's own alert prices it
    borrowed: set[str] = set()
    leaf = config.leaf
    hours = hours_per_month
    sessions = sessions_per_month if sessions_per_month is not None else max(1, math.ceil(hours / 3)) if hours else 0
    ec2 = _price(prices, region, "", leaf.ec2.instance_type)
    checks = hours * 3600 / leaf.watchdog.interval_seconds
    transitions = (
        checks * WATCHDOG_TRANSITIONS_PER_CHECK
        + sessions * (WATCHDOG_TRANSITIONS_AT_SCALE_DOWN + HOOK_TRANSITIONS_PER_START + HOOK_TRANSITIONS_PER_STOP
                      + WATCHDOG_TRANSITIONS_WHEN_READY)
    )
    invocations = checks  # count_connections, once per check
    log_gb = (checks * LOG_KB_PER_CHECK / 1024 + hours * CONTAINER_LOG_MB_PER_HOUR) / 1024
    backups = bool(leaf.volumes) and leaf.volumes[0].backups
    stored_gb = storage_gb if leaf.volumes else 0

    def price(key: str) -> float:
        return _price(prices, region, key, borrowed=borrowed)

    lines = [
        Line(f"EC2 {leaf.ec2.instance_type}", f"{hours:g} h x ${ec2}/h", hours * ec2, False),
        Line(
            "EBS root volume (gp3)",
            f"{leaf.ec2.root_volume_gib} GiB while running",
            leaf.ec2.root_volume_gib * price("ebs_gp3_gb_month") * hours / HOURS_PER_MONTH,
            False,
        ),
        Line("Public IPv4 address", f"{hours:g} h", hours * price("public_ipv4_hourly"), False),
        *storage_lines(leaf.efs, stored_gb, sessions, backups, price),
        Line("Route53 hosted zone (shared by every game in it)", "1 zone", price("route53_hosted_zone_month"), True),
        Line(
            "Route53 queries",
            f"{sessions * DNS_QUERIES_PER_SESSION:,} queries",
            sessions * DNS_QUERIES_PER_SESSION / 1e6 * price("route53_million_queries"),
            False,
        ),
        Line(
            "Step Functions (watchdog + hook)",
            f"{transitions:,.0f} transitions ({WATCHDOG_TRANSITIONS_PER_CHECK}/check, {sessions} sessions)",
            transitions / 1000 * price("stepfunctions_thousand_transitions"),
            False,
        ),
        Line(
            "Lambda (count_connections)",
            f"{invocations:,.0f} invocations, {invocations * LAMBDA_GB * CHECK_SECONDS:,.0f} GB-s",
            invocations / 1e6 * price("lambda_million_requests")
            + invocations * LAMBDA_GB * CHECK_SECONDS * price("lambda_gb_second"),
            False,
        ),
        Line(
            "CloudWatch Logs (ingest + a month kept)",
            f"{log_gb * 1024:,.0f} MB",
            log_gb * (price("cloudwatch_logs_ingest_gb") + price("cloudwatch_logs_store_gb_month")),
            False,
        ),
    ]
    lines.append(metrics_line(CHECK_METRICS_WITH_QUERY if leaf.watchdog.query else CHECK_METRICS, hours, sessions, price))
    lines += query_log_lines(config, sessions * DNS_QUERIES_PER_SESSION, zone_queries, prices)
    lines.append(reconciler_line(leaf.watchdog.reconcile_minutes, price))
    if config.notify_channels:
        lines.append(_notify_line(len(config.notify_channels), sessions, price))
    if leaf.ec2.warm_pool:
        lines += warm_pool_lines(leaf.ec2.root_volume_gib, hours, sessions, ec2 + price("public_ipv4_hourly"), price)
    if config.base.status_page.enabled:
        lines.append(page_line(sessions * PAGE_VIEWS_PER_SESSION if page_views is None else page_views, price))
    lines_total = sum(line.usd_per_month for line in lines)
    # The same world with nobody playing for a whole month (this estimate itself, when nobody plays).
    asleep = lines_total
    if hours or sessions:
        asleep_month = estimate(config, 0, region, storage_gb, 0, prices, zone_queries, page_views=0)
        asleep, borrowed = asleep_month.total, borrowed | set(asleep_month.borrowed)
    without_pool = None
    if leaf.ec2.warm_pool:
        without_pool = estimate(without_warm_pool(config), 0, region, storage_gb, 0, prices, zone_queries).total
    return Estimate(region, leaf.ec2.instance_type, hours, sessions, stored_gb, lines, sorted(borrowed), asleep,
                    without_pool)


def without_warm_pool(config: NapstackConfig) -> NapstackConfig:
    ec2 = config.leaf.ec2.model_copy(update={"warm_pool": False})
    return config.model_copy(update={"leaf": config.leaf.model_copy(update={"ec2": ec2})})


def warm_pool_lines(root_gib: int, hours: float, sessions: int, hourly_up: float, price) -> list[Line]:
    """The pooled instance's root volume whenever the server sleeps (while it runs, that volume is the running
    instance's, priced above), and the refill launch after each session (instance and address while it warms)."""
    asleep_hours = max(0.0, HOURS_PER_MONTH - hours)
    return [
        Line(
            "Warm pool: the stopped instance's root volume (gp3)",
            f"{root_gib} GiB x {asleep_hours:g} h asleep",
            root_gib * price("ebs_gp3_gb_month") * asleep_hours / HOURS_PER_MONTH,
            True,
        ),
        Line(
            "Warm pool: the refill launch after each session",
            f"{sessions} launch(es) x {REFILL_MINUTES} min (boot, image pull, stop)",
            sessions * REFILL_MINUTES / 60 * hourly_up,
            False,
        ),
    ]


def warm_pool_trade_off(config: NapstackConfig, prices: dict | None = None) -> str:
    """What `check` says of Ec2.WarmPool: what it buys and what it costs, at 60 play hours a month."""
    result = estimate(config, prices=prices)
    by_item = {line.item: line.usd_per_month for line in result.lines}
    refill = by_item["Warm pool: the refill launch after each session"] / max(1, result.sessions_per_month)
    return (
        f"Ec2.WarmPool: a wake starts a stopped instance whose image is already on its disk instead of launching a new "
        f"one (README, \"Fast start\"); it costs the stopped instance's {config.leaf.ec2.root_volume_gib} GiB root "
        f"volume every month and ${refill:.4f} per session for the refill launch: asleep for a month "
        f"${result.asleep_month:.2f} instead of ${result.asleep_without_warm_pool:.2f} (in {result.region}; `napstack cost` itemizes it)"
    )


def query_log_lines(config: NapstackConfig, lookups: int, zone_queries: int, prices: dict) -> list[Line]:
    """Route53's query logs of the zone in CloudWatch Logs (us-east-1), every query ingested whatever the filter, and
    start_server for the game's lookups, the only ones its filter passes (at most one invocation each: CloudWatch
    Logs batches them). A group named by QueryLogGroup was ingesting before napstack: only the invocations are new."""
    if not config.base.start_on_lookup:
        return []

    def price(key: str) -> float:
        return _price(prices, QUERY_LOG_REGION, key)

    per_line = QUERY_LOG_LINE_BYTES / 1024**3 * (
        price("cloudwatch_logs_ingest_gb") + price("cloudwatch_logs_store_gb_month") * QUERY_LOG_DAYS_KEPT / DAYS_PER_MONTH
    )
    lines = [] if config.base.query_log_group else [
        Line("Route53 query logs of the game's lookups (CloudWatch Logs)", f"{lookups:,} lines", lookups * per_line, False),
        Line(
            "Route53 query logs of the zone's other names (www, MX, ...)",
            f"{zone_queries:,} lines (--zone-queries), none passes the filter",
            zone_queries * per_line,
            True,
        ),
    ]
    lines.append(
        Line(
            "Lambda (start_server, lookups passing the filter)",
            f"{lookups:,} invocations at most",
            lookups / 1e6 * price("lambda_million_requests") + lookups * LAMBDA_GB * START_SERVER_SECONDS * price("lambda_gb_second"),
            False,
        )
    )
    return lines


def metrics_line(check_metrics: int, hours: float, sessions: int, price) -> Line:
    """Custom metrics cost only in the hours they are published: nothing in a month asleep. The free tier's ten
    metrics are not deducted (other stacks of the account may use them)."""
    metric_hours = check_metrics * hours + READY_METRICS * sessions
    return Line(
        "CloudWatch custom metrics (checks, ready figures)",
        f"{check_metrics} x {hours:g} h + {READY_METRICS} x {sessions} sessions, billed per hour published",
        metric_hours / HOURS_PER_MONTH * price("cloudwatch_custom_metric_month"),
        False,
    )


def page_line(views: int, price) -> Line:
    """The status page: a function URL costs nothing beyond the function's requests and duration, so a month nobody
    opens it costs nothing; each view is a request, half a second of 256 MB, its log lines, and while a server starts
    one metric request (its past starts)."""
    per_view = (price("lambda_million_requests") / 1e6 + LAMBDA_GB * PAGE_SECONDS * price("lambda_gb_second")
                + PAGE_LOG_KB_PER_VIEW / 1024**2 * (price("cloudwatch_logs_ingest_gb") + price("cloudwatch_logs_store_gb_month"))
                + PAGE_STARTING_SHARE * price("cloudwatch_thousand_metric_requests") / 1000)
    return Line(
        "Status page (Lambda function URL)",
        f"{views:,} views (--page-views), ${per_view * 1000:.4f} per thousand",
        views * per_view,
        False,
    )


def page_concurrency_note(config: NapstackConfig, prices: dict | None = None) -> str:
    """What `check` says of the status page's reserved concurrency: what it caps, and what the account must allow."""
    reserved = config.base.status_page.reserved_concurrency
    copy_hour = LAMBDA_GB * 3600 * _price(prices or load_prices(), config.base.leaf_region, "lambda_gb_second")
    if reserved is None:
        return (
            "StatusPage: its concurrency is not reserved (ReservedConcurrency: null), so it deploys on any account; a "
            "flood of requests runs as many copies of it as the account allows: on a new account (a quota of 10) "
            "that throttles the watchdog and start_server too, on one with 1,000 it can cost up to "
            f"${1000 * copy_hour:,.0f} an hour. Once Service Quotas shows Lambda's \"Concurrent executions\" at "
            "1,000, set StatusPage.ReservedConcurrency: 10 to cap it."
        )
    return (
        f"StatusPage: reserves {reserved} concurrent executions, so a flood costs at most "
        f"${reserved * copy_hour:.2f} an hour; Lambda allows it only if the account's concurrency quota is at least "
        f"{100 + reserved} (Service Quotas, Lambda, \"Concurrent executions\"; new accounts have 10): below that the "
        "base stack's deploy fails (\"decreases account's UnreservedConcurrentExecution below its minimum value\"). "
        "Ask for 1,000, or set StatusPage.ReservedConcurrency: null."
    )


def reconciler_line(minutes: int, price) -> Line:
    """The schedule and its runs, all month long whether anyone plays or not."""
    runs = HOURS_PER_MONTH * 60 / minutes
    usd = (
        runs / 1e6 * (price("scheduler_million_invocations") + price("lambda_million_requests"))
        + runs * RECONCILER_GB * RECONCILE_SECONDS * price("lambda_gb_second")
        + runs * LOG_KB_PER_RECONCILE / 1024 / 1024 * (price("cloudwatch_logs_ingest_gb") + price("cloudwatch_logs_store_gb_month"))
    )
    return Line(
        "Reconciler (Scheduler + Lambda)",
        f"{runs:,.0f} runs (every {minutes} min), {runs * RECONCILER_GB * RECONCILE_SECONDS:,.0f} GB-s",
        usd,
        True,
    )


def _notify_line(channels: int, sessions: int, price) -> Line:
    """Chat notifications: one invocation per alert, a second per channel it posts to. SNS's deliveries to Lambda
    and standard SSM parameters are free; decrypting them with aws/ssm stays within KMS's free requests."""
    invocations = sessions * NOTIFICATIONS_PER_SESSION
    gb_seconds = invocations * channels * NOTIFY_SECONDS * LAMBDA_GB
    return Line(
        "Lambda (notify: chat notifications)",
        f"{invocations:,} invocations, {gb_seconds:,.0f} GB-s ({channels} channel{'' if channels == 1 else 's'})",
        invocations / 1e6 * price("lambda_million_requests") + gb_seconds * price("lambda_gb_second"),
        False,
    )


def hourly_while_up(config: NapstackConfig, region: str, prices: dict | None = None) -> float | None:
    """What one more hour up costs (instance, root volume, address, watchdog, logs), or None without prices for it."""
    try:
        up, asleep = estimate(config, 1, region, 0, 0, prices), estimate(config, 0, region, 0, 0, prices)
    except PriceError:
        return None
    return round(up.total - asleep.total, 4)


def storage_shares(efs: EfsConfig, sessions: int) -> dict[str, float]:
    """The share of the month the world spends in each storage class: after each session it stays in Standard
    for `InfrequentAccessAfterDays`, then moves down. With no session it sleeps the whole month, long cold."""
    gap = DAYS_PER_MONTH / sessions if sessions else math.inf
    ia_after = efs.infrequent_access_after_days or math.inf
    archive_after = efs.archive_after_days or math.inf
    if math.isinf(gap):  # asleep since before the month began
        coldest = "archive" if archive_after <= DAYS_PER_MONTH else "ia" if ia_after <= DAYS_PER_MONTH else "standard"
        return {"standard": 0.0, "ia": 0.0, "archive": 0.0, coldest: 1.0}
    standard = min(gap, ia_after)
    ia = max(0.0, min(gap, archive_after) - ia_after)
    return {"standard": standard / gap, "ia": ia / gap, "archive": max(0.0, gap - standard - ia) / gap}


def storage_lines(efs: EfsConfig, stored_gb: float, sessions: int, backups: bool, price) -> list[Line]:
    shares = storage_shares(efs, sessions)
    one_zone = efs.one_zone
    classes = [
        ("standard", "One Zone" if one_zone else "Standard", "efs_one_zone_gb_month" if one_zone else "efs_standard_gb_month"),
        ("ia", "One Zone-IA" if one_zone else "Infrequent Access", "efs_one_zone_ia_gb_month" if one_zone else "efs_ia_gb_month"),
        ("archive", "Archive", "efs_archive_gb_month"),
    ]
    lines = [
        Line(f"EFS storage ({label})", f"{stored_gb:g} GB x {shares[key]:.0%} of the month", stored_gb * shares[key] * price(key_price), True)
        for key, label, key_price in classes
        if shares[key] or key == "standard"
    ]
    # A session after a sleep longer than the IA threshold wakes a cold world: the move down, then the read back.
    gap = DAYS_PER_MONTH / sessions if sessions else 0
    cold_wakes = sessions if efs.infrequent_access_after_days and gap > efs.infrequent_access_after_days else 0
    reached_archive = bool(efs.archive_after_days) and gap > efs.archive_after_days
    per_wake = stored_gb * (
        price("efs_ia_tiering_gb")
        + (price("efs_archive_tiering_gb") + price("efs_archive_read_gb") if reached_archive else price("efs_ia_read_gb"))
        * WORLD_READ_PER_SESSION
    )
    lines.append(
        Line(
            "EFS tiering and reads after a sleep",
            f"{cold_wakes} cold start(s) x {stored_gb:g} GB (a start reads the whole world)",
            cold_wakes * per_wake,
            False,
        )
    )
    if efs.throughput_mode == "elastic":  # every GB a session moves is billed: it reads the world, rewrites a share
        lines.append(
            Line(
                "EFS Elastic throughput",
                f"{sessions} session(s) x {stored_gb:g} GB read, {WORLD_CHANGED_PER_SESSION:.0%} of it written",
                sessions * stored_gb * (WORLD_READ_PER_SESSION * price("efs_elastic_read_gb")
                                        + WORLD_CHANGED_PER_SESSION * price("efs_elastic_write_gb")),
                False,
            )
        )
    # Incremental backups: the world once, plus what each session within the retention window changed.
    sessions_kept = sessions * efs.backup_retention_days / DAYS_PER_MONTH
    backup_gb = stored_gb * (1 + WORLD_CHANGED_PER_SESSION * sessions_kept) if backups else 0
    lines.append(
        Line(
            "EFS backups (AWS Backup, warm)",
            f"{backup_gb:g} GB ({WORLD_CHANGED_PER_SESSION:.0%} of the world new per session, {efs.backup_retention_days} days kept)",
            backup_gb * price("backup_efs_warm_gb_month"),
            True,
        )
    )
    return lines


def control_plane_share(config: NapstackConfig, region: str | None = None, prices: dict | None = None) -> float:
    """Watchdog and hook cost per play hour, as a share of the instance's hourly price."""
    one_hour = estimate(config, hours_per_month=1, region=region, sessions_per_month=0, prices=prices)
    control = sum(line.usd_per_month for line in one_hour.lines if line.item.startswith(("Step Functions", "Lambda")))
    return control / _price(prices or load_prices(), one_hour.region, "", config.leaf.ec2.instance_type)


def render(config: NapstackConfig, result: Estimate) -> str:
    width = max(len(line.item) for line in result.lines)
    pooled = result.asleep_without_warm_pool is not None
    rows = [
        f"{config.leaf.name}: {result.instance_type} in {result.region}, {result.hours_per_month:g} play hours "
        f"and {result.sessions_per_month} sessions a month, {result.storage_gb:g} GB on EFS",
        "",
        f"{'item':<{width}}  {'per month':>10}  {'idle?':<5}  quantity",
    ]
    for line in result.lines:
        rows.append(
            f"{line.item:<{width}}  ${line.usd_per_month:>9.4f}  {'yes' if line.paid_while_idle else 'no':<5}  {line.quantity}"
        )
    rows += [
        "",
        f"{'total per month':<{width}}  ${result.total:>9.2f}",
        f"{'storage, backups, zone, reconciler' + (', pool' if pooled else ''):<{width}}  ${result.idle_total:>9.2f}  "
        "(paid whether anyone plays or not)",
        f"{'asleep for a whole month':<{width}}  ${result.asleep_month:>9.2f}  (the world long in its coldest class)",
        *([f"{'asleep without the warm pool':<{width}}  ${result.asleep_without_warm_pool:>9.2f}  (Ec2.WarmPool: false)"]
          if pooled else []),
        f"{'per play hour':<{width}}  ${result.per_play_hour:>9.4f}",
    ]
    hourly = hourly_while_up(config, result.region)
    if hourly is not None:
        rows.append(f"{'per hour up':<{width}}  ${hourly:>9.4f}  (what the scale-down alert quotes)")
    if result.borrowed:
        rows.append(f"\nnote: {PRICES_FILE.name} has no {result.region} figure for {', '.join(result.borrowed)}: "
                    "priced at us-east-1's; add the region's own with its source and date")
    return "\n".join(rows)


def examples_table(configs: list[NapstackConfig]) -> str:
    """The README's cost table: each example at 60 play hours and 10 GB a month in us-east-1."""
    rows = [
        "| example | instance | EC2 | Step Functions | total | asleep for a month | per play hour |",
        "|---|---|---|---|---|---|---|",
    ]
    for config in configs:
        result = estimate(config)
        by_item = {line.item.split(" ")[0]: line.usd_per_month for line in result.lines}
        rows.append(
            f"| `{config.leaf.name}` | {result.instance_type} | ${by_item['EC2']:.2f} | ${by_item['Step']:.2f} "
            f"| ${result.total:.2f} | ${result.asleep_month:.2f} | ${result.per_play_hour:.3f} |"
        )
    return "\n".join(rows)

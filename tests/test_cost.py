"""`napstack cost`: hand-checked arithmetic, the idle total is storage only, every price has a source and date."""

import json
import subprocess
import sys

import pytest

from napstack.config import load_config
from napstack.cost import PriceError, control_plane_share, estimate, load_prices
from tests.conftest import EXAMPLES, ROOT

JAVA = load_config(ROOT / "examples" / "minecraft-java.yaml")


def line(result, prefix):
    return next(l for l in result.lines if l.item.startswith(prefix))


def test_hand_checked_month_for_minecraft_java():
    result = estimate(JAVA, hours_per_month=60, region="us-east-1", storage_gb=10)
    assert line(result, "EC2").usd_per_month == pytest.approx(60 * 0.0416)
    assert line(result, "Public IPv4").usd_per_month == pytest.approx(60 * 0.005)
    assert line(result, "EBS").usd_per_month == pytest.approx(30 * 0.08 * 60 / 730)
    # 60 checks an hour x 60 hours x 3 transitions, plus 20 sessions x (4 + 12 + 13 + 1 for the ready alert).
    assert line(result, "Step Functions").usd_per_month == pytest.approx((10800 + 600) * 0.025 / 1000)
    # Custom metrics, each billed for the hours it is published in: the check's 4 (with a query) every play hour,
    # the 3 ready figures in one hour a session; $0.30 a metric-month of 730 hours.
    assert line(result, "CloudWatch custom metrics").usd_per_month == pytest.approx((4 * 60 + 3 * 20) * 0.30 / 730)
    # 20 sessions a month: the world is never idle for the 7 days IA needs, so it stays in Standard. The backups
    # hold the world once plus 5% of it for each of the sessions within 35 days.
    assert line(result, "EFS storage (Standard)").usd_per_month == pytest.approx(10 * 0.30)
    backup_gb = 10 * (1 + 0.05 * 20 * 35 / 30.4)
    assert result.idle_total == pytest.approx(10 * 0.30 + backup_gb * 0.05 + 0.50 + line(result, "Reconciler").usd_per_month)
    assert result.per_play_hour == pytest.approx((result.total - result.idle_total) / 60)


def test_nothing_but_storage_backups_and_the_zone_costs_while_nobody_plays():
    result = estimate(JAVA, hours_per_month=0)
    paid = {l.item: l.usd_per_month for l in result.lines if l.usd_per_month > 0}
    assert set(paid) == {"EFS storage (Infrequent Access)", "EFS backups (AWS Backup, warm)",
                         "Route53 hosted zone (shared by every game in it)", "Reconciler (Scheduler + Lambda)"}
    assert all(l.paid_while_idle == (l.item in paid) for l in result.lines if l.usd_per_month)


def test_a_10_gb_world_asleep_for_a_month_costs_about_a_dollar():
    """The idle bill: the world long in Infrequent Access, its backup, the zone (the largest lines), the reconciler."""
    asleep = estimate(JAVA, hours_per_month=0, storage_gb=10)
    reconciler = line(asleep, "Reconciler").usd_per_month
    assert asleep.total == pytest.approx(10 * 0.016 + 10 * 0.05 + 0.50 + reconciler) and asleep.total <= 1.20
    assert max(l.usd_per_month for l in asleep.lines) == pytest.approx(0.50)
    assert estimate(JAVA, hours_per_month=60).asleep_month == pytest.approx(asleep.total)


def test_the_reconciler_runs_all_month_for_about_three_cents():
    # Every 5 minutes: 8,760 runs of a 128 MB function billed 1 s each (cold start included), each run one Scheduler
    # invocation and one Lambda request, and Lambda's 0.3 KB of START/END/REPORT lines.
    runs = 730 * 12
    expected = runs * (1.00 + 0.20) / 1e6 + runs * 0.125 * 1.66667e-5 + runs * 0.3 / 1024 / 1024 * (0.50 + 0.03)
    result = estimate(JAVA, hours_per_month=0)
    assert line(result, "Reconciler").usd_per_month == pytest.approx(expected) and expected < 0.035
    assert line(result, "Reconciler").paid_while_idle and "8,760 runs (every 5 min)" in line(result, "Reconciler").quantity
    hourly = JAVA.model_copy(update={"leaf": JAVA.leaf.model_copy(update={
        "watchdog": JAVA.leaf.watchdog.model_copy(update={"reconcile_minutes": 60})})})
    assert line(estimate(hourly, hours_per_month=0), "Reconciler").usd_per_month == pytest.approx(expected / 12)


def efs_config(**efs):
    from napstack.config import EfsConfig

    return JAVA.model_copy(update={"leaf": JAVA.leaf.model_copy(update={"efs": EfsConfig(**efs)})})


def test_a_weekly_session_lets_the_world_cool_between_games_and_pays_to_wake_it():
    # 4 sessions: a 7.6-day gap, 7 days in Standard, 0.6 in IA; each start moves 10 GB down and reads it back.
    result = estimate(JAVA, hours_per_month=12, sessions_per_month=4, storage_gb=10)
    gap = 30.4 / 4
    assert line(result, "EFS storage (Standard)").usd_per_month == pytest.approx(10 * 0.30 * 7 / gap)
    assert line(result, "EFS storage (Infrequent Access)").usd_per_month == pytest.approx(10 * 0.016 * (gap - 7) / gap)
    assert line(result, "EFS tiering").usd_per_month == pytest.approx(4 * 10 * (0.01 + 0.01))


def test_a_session_after_a_long_sleep_wakes_the_world_from_archive():
    config = efs_config(infrequent_access_after_days=7, archive_after_days=14, throughput_mode="elastic")
    result = estimate(config, hours_per_month=3, sessions_per_month=1, storage_gb=10)
    gap = 30.4
    assert line(result, "EFS storage (Archive)").usd_per_month == pytest.approx(10 * 0.008 * (gap - 14) / gap)
    assert line(result, "EFS storage (Infrequent Access)").usd_per_month == pytest.approx(10 * 0.016 * 7 / gap)
    assert line(result, "EFS tiering").usd_per_month == pytest.approx(10 * (0.01 + 0.03 + 0.03))
    assert line(estimate(config, hours_per_month=0), "EFS storage (Archive)").usd_per_month == pytest.approx(10 * 0.008)


def test_one_zone_and_no_lifecycle_are_priced_as_such():
    one_zone = estimate(efs_config(one_zone=True, availability_zone="use1-az4"), hours_per_month=0, storage_gb=10)
    assert line(one_zone, "EFS storage (One Zone-IA)").usd_per_month == pytest.approx(10 * 0.0133)
    always_standard = estimate(efs_config(infrequent_access_after_days=None), hours_per_month=0, storage_gb=10)
    assert line(always_standard, "EFS storage (Standard)").usd_per_month == pytest.approx(10 * 0.30)
    assert line(always_standard, "EFS tiering").usd_per_month == 0


def test_region_changes_the_prices():
    assert estimate(JAVA, region="eu-central-1").total > estimate(JAVA, region="us-east-1").total


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
@pytest.mark.parametrize("region", ["us-east-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-2"])
def test_every_example_prices_in_every_supported_region(example, region):
    assert estimate(load_config(example), region=region).total > 0


def test_watchdog_and_hook_add_under_5_percent_to_the_cheapest_example():
    configs = [load_config(example) for example in EXAMPLES]
    prices = load_prices()["regions"]["us-east-1"]["ec2_hourly"]
    cheapest = min(configs, key=lambda c: prices[c.leaf.ec2.instance_type]["usd"])
    assert control_plane_share(cheapest) < 0.05


def test_unknown_instance_type_says_how_to_add_it(tmp_path):
    from tests.test_config import with_changes, write_configs

    # Known to the instance table `check` reads, but not priced yet.
    config = load_config(write_configs(tmp_path, with_changes(Ec2__InstanceType="c7a.xlarge")))
    with pytest.raises(PriceError, match=r"no price for instance type 'c7a.xlarge' in us-east-1 .*add its on-demand Linux price to prices.json"):
        estimate(config)


def test_unknown_region_is_a_named_error_with_exit_2():
    result = subprocess.run(
        [sys.executable, "-m", "napstack", "cost", "examples/minecraft-java.yaml", "--region", "mars-1"],
        cwd=ROOT, capture_output=True, text=True,
    )
    assert result.returncode == 2 and "no prices for region 'mars-1'" in result.stderr and "Traceback" not in result.stderr


def test_json_output_for_scripts():
    result = subprocess.run(
        [sys.executable, "-m", "napstack", "cost", "examples/valheim.yaml", "--json", "--hours-per-month", "10"],
        cwd=ROOT, capture_output=True, text=True,
    )
    data = json.loads(result.stdout)
    assert data["hours_per_month"] == 10 and data["instance_type"] == "m5.large"
    assert {"total", "idle_total", "per_play_hour", "lines"} <= set(data)


def test_every_price_carries_a_source_and_a_date():
    def figures(node):
        if isinstance(node, dict) and "usd" in node:
            yield node
        elif isinstance(node, dict):
            for value in node.values():
                yield from figures(value)

    found = list(figures(load_prices()))
    assert len(found) > 40
    for figure in found:
        assert figure["source"] and len(figure["date"]) == 10 and figure["usd"] > 0


def test_readme_shows_the_current_cost_of_every_example():
    from napstack.cost import examples_table

    names = ["minecraft-java", "minecraft-bedrock", "valheim", "palworld"]
    table = examples_table([load_config(ROOT / "examples" / f"{name}.yaml") for name in names])
    assert table in (ROOT / "README.md").read_text(), "update the README's cost table from napstack.cost.examples_table"
    assert {p.stem for p in EXAMPLES} == set(names)


def test_a_graviton_type_is_priced_and_cheaper_than_its_x86_twin(tmp_path):
    from napstack.config import instance_architecture
    from tests.test_config import GOOD, write_configs

    graviton = load_config(write_configs(tmp_path, {**GOOD, "Ec2": {"InstanceType": "t4g.medium"}}))
    x86 = load_config(write_configs(tmp_path, {**GOOD, "Ec2": {"InstanceType": "t3.medium"}}))
    assert (instance_architecture("t4g.medium"), instance_architecture("t3.medium")) == ("arm64", "x86_64")
    assert line(estimate(graviton, hours_per_month=60), "EC2").usd_per_month == pytest.approx(60 * 0.0336)
    assert estimate(graviton, hours_per_month=60).total < estimate(x86, hours_per_month=60).total


def config_in(tmp_path, region: str):
    """minecraft-java with its base's LeafRegion set to `region`."""
    for name in ("minecraft-java.yaml", "base.yaml"):
        (tmp_path / name).write_text((ROOT / "examples" / name).read_text())
    with (tmp_path / "base.yaml").open("a") as base:
        base.write(f"LeafRegion: {region}\n")
    return tmp_path / "minecraft-java.yaml"


def test_cost_prices_the_region_the_config_deploys_to(tmp_path):
    from tests.conftest import napstack_cli

    result = napstack_cli("cost", str(config_in(tmp_path, "eu-central-1")), "--json")
    data = json.loads(result.stdout)
    assert data["region"] == "eu-central-1"
    assert next(l for l in data["lines"] if l["item"].startswith("EC2"))["usd_per_month"] == pytest.approx(60 * 0.048)
    # --region still prices elsewhere, on request.
    other = json.loads(napstack_cli("cost", str(config_in(tmp_path, "eu-central-1")), "--json", "--region", "us-east-1").stdout)
    assert other["region"] == "us-east-1" and other["total"] < data["total"]


def test_a_leaf_region_without_prices_is_refused_not_priced_as_us_east_1(tmp_path):
    from tests.conftest import napstack_cli

    result = napstack_cli("cost", str(config_in(tmp_path, "me-central-1")))
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.startswith("napstack: no prices for region 'me-central-1' (known: ap-southeast-2, eu-central-1")
    assert "or price a known region with --region" in result.stderr


def test_figures_borrowed_from_us_east_1_are_named_in_the_estimate(tmp_path):
    from tests.conftest import napstack_cli

    text = napstack_cli("cost", str(config_in(tmp_path, "eu-central-1"))).stdout
    assert "note: prices.json has no eu-central-1 figure for cloudwatch_custom_metric_month, cloudwatch_thousand_metric_requests, efs_ia_gb_month, " in text
    assert "stepfunctions_thousand_transitions: priced at us-east-1's" in text
    assert estimate(JAVA).borrowed == [] and "note:" not in napstack_cli("cost", "examples/minecraft-java.yaml").stdout


def test_the_scale_down_alert_quotes_the_hourly_figure_cost_gives_for_the_leaf_region(tmp_path):
    """The watchdog's session summary and `napstack cost` price the same region, so they say the same $/h."""
    from napstack.emulator.replay import replay
    from tests.conftest import napstack_cli

    config_file = config_in(tmp_path, "eu-central-1")
    hourly = json.loads(napstack_cli("cost", str(config_file), "--json").stdout)["hourly_while_up"]
    assert hourly != json.loads(napstack_cli("cost", "examples/minecraft-java.yaml", "--json").stdout)["hourly_while_up"]
    assert f"${hourly:>9.4f}  (what the scale-down alert quotes)" in napstack_cli("cost", str(config_file)).stdout
    event = json.loads((ROOT / "events" / "route53-query-lookup.json").read_text())
    result = replay(load_config(config_file), event)
    watchdog = next(e for e in result.executions if e.state_machine == "watchdog")
    assert watchdog.output["Reason"].endswith(f" at ${hourly:.3f}/h.")


def test_elastic_throughput_bills_what_each_session_reads_and_writes_and_nothing_asleep():
    config = efs_config(throughput_mode="elastic")
    result = estimate(config, hours_per_month=60, sessions_per_month=20, storage_gb=10)
    assert line(result, "EFS Elastic throughput").usd_per_month == pytest.approx(20 * 10 * (0.03 + 0.05 * 0.06))
    assert result.asleep_month == pytest.approx(estimate(JAVA, hours_per_month=60, storage_gb=10).asleep_month)
    assert not any(l.item.startswith("EFS Elastic") for l in estimate(JAVA, hours_per_month=60).lines)


def test_the_zones_query_logs_and_start_server_are_priced_where_they_run_us_east_1():
    result = estimate(JAVA, hours_per_month=60, region="eu-central-1", zone_queries=1_000_000)
    lookups = 20 * 500  # 20 sessions, 500 lookups each, every one passing the filter (an upper bound)
    per_line = 150 / 1024**3 * (0.50 + 0.03 * 7 / 30.4)  # us-east-1 ingestion, a week kept
    assert line(result, "Route53 query logs of the game's").usd_per_month == pytest.approx(lookups * per_line)
    other = line(result, "Route53 query logs of the zone's other")
    assert other.paid_while_idle and other.usd_per_month == pytest.approx(1_000_000 * per_line)
    start_server = line(result, "Lambda (start_server")
    assert start_server.usd_per_month == pytest.approx(lookups / 1e6 * 0.20 + lookups * 0.25 * 0.2 * 0.0000166667)
    assert result.asleep_month == pytest.approx(estimate(JAVA, hours_per_month=0, region="eu-central-1",
                                                         zone_queries=1_000_000).total)


def test_a_reused_query_log_group_adds_only_the_invocations_and_no_start_stack_adds_nothing(tmp_path):
    from tests.test_config import GOOD, write_configs

    base = {"DomainName": "example.org", "HostedZoneId": "Z1234567890"}
    reused = load_config(write_configs(tmp_path, GOOD, {**base, "QueryLogGroup": "/aws/route53/example.org"}))
    items = [l.item for l in estimate(reused, zone_queries=10**6).lines]
    assert "Lambda (start_server, lookups passing the filter)" in items and not any("query logs" in i for i in items)
    off = load_config(write_configs(tmp_path, GOOD, {**base, "StartOnLookup": False}))
    assert not any("query logs" in l.item or "start_server" in l.item for l in estimate(off).lines)


def test_zone_queries_must_be_a_whole_number(tmp_path):
    from tests.conftest import napstack_cli

    result = napstack_cli("cost", "examples/minecraft-java.yaml", "--zone-queries", "-5")
    assert result.returncode == 2 and "--zone-queries" in result.stderr and "Traceback" not in result.stderr
    shown = napstack_cli("cost", "examples/minecraft-java.yaml", "--zone-queries", "2000000")
    assert shown.returncode == 0 and "2,000,000 lines (--zone-queries)" in shown.stdout


def test_the_status_page_costs_nothing_asleep_and_under_a_cent_per_thousand_views(tmp_path):
    from tests.test_config import with_changes, write_configs

    config = load_config(ROOT / "examples" / "minecraft-java.yaml")
    (asleep,) = [l for l in estimate(config, 0, sessions_per_month=0).lines if l.item.startswith("Status page")]
    assert asleep.usd_per_month == 0 and not asleep.paid_while_idle
    (busy,) = [l for l in estimate(config, page_views=1000).lines if l.item.startswith("Status page")]
    assert 0.001 < busy.usd_per_month < 0.01 and "1,000 views" in busy.quantity
    base = {"DomainName": "example.org", "HostedZoneId": "Z1234567890", "StatusPage": {"Enabled": False}}
    off = load_config(write_configs(tmp_path, with_changes(), base))
    assert not [l for l in estimate(off).lines if l.item.startswith("Status page")]

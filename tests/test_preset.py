from seal_core.preset import REFERENCE, SEAL, compare, plan


def test_plan_uses_the_measured_throughput(monkeypatch, tmp_path):
    import seal_core.preset as preset

    f = tmp_path / "t.json"
    f.write_text('{"pairs_per_second": 0.5, "cores": 2, "what": "x"}')
    monkeypatch.setattr(preset, "THROUGHPUT_FILE", f)
    text = plan()
    hours = SEAL.n_pairs / 0.5 / 3600
    assert f"≈{hours:,.0f} hours per RM" in text and "0.50 pairs/s" in text
    assert "not measured here" in text  # no GPU figure is invented


def test_compare_maps_report_fields_to_reference():
    report = {
        "resistance": {"pre": {"agreement": 0.5}, "post": {"agreement": 0.75, "resistance": 0.25}},
        "shift": {"theta_mean_deg": 5.0, "theta_median_deg": 4.0},
        "regimes": {"stayed_aligned": {"share": 0.4}, "got_aligned": {"share": 0.3}, "resisted": {"share": 0.2},
                    "reversed": {"share": 0.1}},
    }  # fmt: skip
    rows = {r["key"]: r for r in compare(report)}
    assert set(rows) == set(REFERENCE)
    computed = {k: r["computed"] for k, r in rows.items() if r["computed"] is not None}
    assert computed == {"pre_agreement": 0.5, "post_agreement": 0.75, "post_resistance": 0.25, "theta_mean_deg": 5.0,
                        "theta_median_deg": 4.0, "stayed_aligned": 0.4, "got_aligned": 0.3, "resisted": 0.2,
                        "reversed": 0.1}  # fmt: skip
    assert all(rows[k]["seal"] == REFERENCE[k][0] for k in rows)  # each reference value beside its own key
    assert rows["gamma_c"]["computed"] is None  # no features, no γ

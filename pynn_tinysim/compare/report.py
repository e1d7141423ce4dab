"""The comparison's report: ``results.json``, ``summary.md``, PNG figures, and the
compact table printed on the terminal.

``results.json`` has every metric of every population for every backend and seed
(``runs.<backend>.seeds[i].populations.<population>``), the comparisons with their
tolerances and KS tests, the failures, warnings and the exit code. Per-cell values
are not in it (they are in the saved neo data next to it).

Figures need matplotlib (the ``compare`` extra); without it the report says so and
everything else is written as usual.
"""

import datetime
import json
import math
import os

import numpy as np

from . import statistics, verdict as verdict_mod

TABLE_METRICS = ("rate_hz", "cv_isi", "fano_factor", "corr_coef", "sync_ratio",
                 "osc_peak_hz", "v_mean", "v_std")


def _clean(value):
    if isinstance(value, (np.floating, float)):
        value = float(value)
        return value if math.isfinite(value) else None
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.ndarray):
        return [_clean(v) for v in value.tolist()]
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    return value


def to_dict(result):
    runs = {}
    for name, entry in result.runs.items():
        seeds = []
        for r in entry["results"]:
            manifest = r.manifest or {}
            rec = {"rep": r.rep, "status": r.status, "wall_s": r.wall_s, "dir": r.run_dir,
                   "error": ({k: v for k, v in (r.error or {}).items() if k != "traceback"}
                             if r.error else None),
                   "seeds_used": manifest.get("seeds"),
                   "timestep_ms": manifest.get("timestep_ms"),
                   "t_stop_ms": manifest.get("t_stop_ms"),
                   "capture_errors": manifest.get("capture_errors") or []}
            if r.status == "ok" and r.rep in entry["rep_ids"]:
                pops = entry["reps"][entry["rep_ids"].index(r.rep)]
                rec["populations"] = {k: {m: v for m, v in stats.items() if m != "per_cell"}
                                      for k, stats in pops.items()}
            seeds.append(rec)
        runs[name] = {"status": entry["status"], "virtual": entry["virtual"],
                      "populations": entry["populations"], "seeds": seeds,
                      "failure": result.verdict.failures.get(name)}
    comparisons = []
    for c in result.verdict.comparisons:
        comparisons.append({
            "population": c.population, "metric": c.metric, "reference": c.reference,
            "backend": c.backend, "reference_values": c.ref_values, "values": c.values,
            "reference_mean": c.ref_mean, "mean": c.mean, "difference": c.diff,
            "tolerance": c.tolerance, "judged": c.judged,
            "agree": bool(c.agree and (c.ks is None or c.ks["agree"])),
            "means_agree": bool(c.agree), "ks": c.ks, "explanation": c.explanation})
    return _clean({
        "script": result.script,
        "script_args": result.script_args,
        "created": datetime.datetime.now().isoformat(timespec="seconds"),
        "backends_requested": result.requested,
        "backends_run": [b.name for b in result.plan.run],
        "skipped": result.plan.skipped,
        "notes": result.plan.notes,
        "seeds": result.seeds,
        "base_seed": result.base_seed,
        "keep_script_seeds": result.keep_script_seeds,
        "statistics_engine": result.engine,
        "tolerance": {"k_spread": verdict_mod.K_SPREAD, "floors": verdict_mod.TOLERANCES,
                      "ks_alpha": verdict_mod.KS_ALPHA, "ks_min_d": verdict_mod.KS_MIN_D},
        "runs": runs,
        "comparisons": comparisons,
        "verdict": {"exit_code": result.verdict.exit_code, "summary": result.verdict.summary,
                    "reference": result.verdict.reference,
                    "disagreements": result.verdict.disagreements,
                    "failures": result.verdict.failures,
                    "warnings": result.verdict.warnings},
    })


# --- the table ------------------------------------------------------------------------------

def _fmt(values):
    values = [v for v in values if v is not None and np.isfinite(v)]
    if not values:
        return "-"
    mean = float(np.mean(values))
    text = f"{mean:.0f}" if abs(mean) >= 100 else f"{mean:.3g}"
    if len(values) == 1:
        return text
    sd = float(np.std(values, ddof=1))
    if sd <= 1e-9 * max(1.0, abs(mean)):
        sd = 0.0
    return f"{text} ± {sd:.0f}" if sd >= 100 else f"{text} ± {sd:.2g}"


def table_rows(result):
    """[(population, metric, {backend: cell text}, verdict text)]."""
    ok = [b for b, e in result.runs.items() if e["status"] == "ok" and any(e["reps"])]
    pops = []
    for b in ok:
        for rep in result.runs[b]["reps"]:
            for p in rep:
                if p not in pops:
                    pops.append(p)
    comps = {}
    for c in result.verdict.comparisons:
        comps.setdefault((c.population, c.metric), []).append(c)
    rows = []
    for pop in pops:
        for metric in TABLE_METRICS:
            cells = {}
            for b in ok:
                cells[b] = _fmt([rep[pop].get(metric) for rep in result.runs[b]["reps"] if pop in rep])
            if all(v == "-" for v in cells.values()):
                continue
            cs = comps.get((pop, metric), [])
            if metric in verdict_mod.INFORMATIONAL:
                v = "(info)"
            elif not cs:
                v = "-"
            else:
                bad = [c.backend for c in cs if not (c.agree and (c.ks is None or c.ks["agree"]))]
                v = "agree" if not bad else "DIFFER: " + ",".join(bad)
            rows.append((pop, metric, cells, v))
    return ok, rows


def _text_table(header, rows):
    widths = [max(len(str(r[i])) for r in [header] + rows) for i in range(len(header))]
    lines = ["  ".join(str(c).ljust(w) for c, w in zip(header, widths)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    for r in rows:
        lines.append("  ".join(str(c).ljust(w) for c, w in zip(r, widths)).rstrip())
    return lines


def backend_lines(result):
    rows = []
    for name, entry in result.runs.items():
        n = len(entry["results"])
        n_ok = sum(1 for r in entry["results"] if r.status != "failed")
        status = entry["status"]
        if status == "virtual":
            status = "virtual board (maps; no data)"
        elif status == "ok" and entry["errors"]:
            status = "ok (some seeds failed)"
        rows.append((name, status, f"{n_ok}/{n}", f"{entry['wall_s']:.1f} s"))
    for name, why in result.plan.skipped.items():
        rows.append((name, "skipped", "-", why))
    return rows


def terminal_table(result):
    lines = [f"tinysim compare {os.path.relpath(result.script)}: {result.seeds} seed(s) per "
             f"backend; statistics: {result.engine}"]
    lines += _text_table(("backend", "status", "runs", "wall / note"), backend_lines(result))
    lines.append("")
    ok, rows = table_rows(result)
    if rows:
        header = ("population", "metric", *ok, "verdict")
        body, last = [], None
        for pop, metric, cells, v in rows:
            body.append((pop if pop != last else "", metric, *[cells[b] for b in ok], v))
            last = pop
        lines += _text_table(header, body)
        lines.append("")
    for line in result.plan.notes:
        lines.append(f"note: {line}")
    for line in result.verdict.warnings:
        lines.append(f"warning: {line}")
    for line in verdict_mod.grouped_failures(result.verdict.failures):
        lines.append(f"FAILED: {line}")
    for line in result.verdict.disagreements:
        if line in result.verdict.failures.values():
            continue
        lines.append(f"DIFFER: {line}")
    lines.append(f"verdict: {result.verdict.summary} (exit {result.verdict.exit_code})")
    lines.append(f"report: {result.out_dir}")
    return "\n".join(lines)


# --- markdown ----------------------------------------------------------------------------

def _md_table(header, rows):
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for r in rows:
        out.append("| " + " | ".join(str(c).replace("|", "\\|") for c in r) + " |")
    return out


def markdown(result, figures):
    v = result.verdict
    lines = [f"# Cross-backend comparison: `{os.path.basename(result.script)}`", "",
             f"- script: `{result.script}`" + (f" with arguments `{' '.join(result.script_args)}`"
                                               if result.script_args else ""),
             f"- seeds per backend: {result.seeds} (base seed {result.base_seed}; "
             + ("script seeds kept" if result.keep_script_seeds else
                "explicit script seeds kept in repetition 0, varied after") + ")",
             f"- statistics: {result.engine}",
             f"- tolerance: |difference of means| <= max({verdict_mod.K_SPREAD:g} x seed-to-seed "
             f"spread, absolute floor, relative floor); KS test on per-cell values fails when "
             f"p < {verdict_mod.KS_ALPHA:g} and D > {verdict_mod.KS_MIN_D:g}",
             "", f"**Verdict: {v.summary}** (exit code {v.exit_code})", "", "## Backends", ""]
    lines += _md_table(("backend", "status", "runs", "wall / note"), backend_lines(result))
    lines.append("")
    if result.plan.notes or v.warnings or v.failures or v.disagreements:
        lines += ["## Findings", ""]
        lines += [f"- note: {n}" for n in result.plan.notes]
        lines += [f"- warning: {w}" for w in v.warnings]
        lines += [f"- **failed**: {f}" for f in verdict_mod.grouped_failures(v.failures)]
        lines += [f"- **differs**: {d}" for d in v.disagreements if d not in v.failures.values()]
        lines.append("")
    ok, rows = table_rows(result)
    if rows:
        lines += ["## Statistics (mean ± seed-to-seed sd)", ""]
        lines += _md_table(("population", "metric", *ok, "verdict"),
                           [(p, m, *[c[b] for b in ok], vv) for p, m, c, vv in rows])
        lines.append("")
    lines += ["## Figures", ""]
    if isinstance(figures, str):
        lines.append(figures)
    elif figures:
        lines += [f"![{os.path.splitext(f)[0]}]({f})" for f in figures]
    else:
        lines.append("No figures (no spike data).")
    lines += ["", "Data: `<backend>/seed_<n>/<population>.pkl` (neo PickleIO), with the run's "
              "`status.json`, `stdout.txt` and `stderr.txt`; every metric: `results.json`.", ""]
    return "\n".join(lines)


# --- figures ---------------------------------------------------------------------------------

def _first_block(result, backend, pop):
    entry = result.runs[backend]
    for r in entry["results"]:
        if r.status != "ok":
            continue
        for p in (r.manifest or {}).get("populations", []):
            if p["key"] == pop:
                try:
                    return statistics.load_block(os.path.join(r.run_dir, p["file"]))
                except Exception:
                    return None
    return None


def figures(result):
    """Write PNGs into the report directory; a list of file names, or a note (str)."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except Exception:
        return ("Figures skipped: matplotlib is not installed "
                "(pip install 'pynn-tinysim[compare]').")
    ok, rows = table_rows(result)
    pops = []
    for p, *_ in rows:
        if p not in pops:
            pops.append(p)
    files = []
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for pop in pops:
        safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in pop)
        blocks = {b: _first_block(result, b, pop) for b in ok}
        blocks = {b: blk for b, blk in blocks.items()
                  if blk is not None and any(seg.spiketrains for seg in blk.segments)}
        if blocks:
            fig, axes = plt.subplots(1, len(blocks), figsize=(4.2 * len(blocks), 3.2),
                                     sharey=True, squeeze=False)
            for ax, (b, blk) in zip(axes[0], blocks.items()):
                seg = next(s for s in blk.segments if s.spiketrains)
                trains = seg.spiketrains[:200]
                for i, st in enumerate(trains):
                    t = np.asarray(st.rescale("ms").magnitude)
                    ax.plot(t, np.full(t.size, i), "|", ms=2, color="k")
                ax.set_title(f"{b} (seed 0)")
                ax.set_xlabel("time (ms)")
                if trains:
                    ax.set_xlim(float(trains[0].t_start.rescale("ms")),
                                float(trains[0].t_stop.rescale("ms")))
            axes[0][0].set_ylabel(f"{pop}: cell index" + (" (first 200)" if len(seg.spiketrains) > 200 else ""))
            fig.tight_layout()
            name = f"raster_{safe}.png"
            fig.savefig(os.path.join(result.out_dir, name), dpi=90)
            plt.close(fig)
            files.append(name)
        fig, axes = plt.subplots(1, 2, figsize=(9, 3.2))
        drew = False
        for ax, metric, label in ((axes[0], "rate_hz", "firing rate (Hz)"),
                                  (axes[1], "cv_isi", "CV(ISI)")):
            data = {}
            for b in ok:
                vals = [np.asarray(rep[pop]["per_cell"].get(metric, []))
                        for rep in result.runs[b]["reps"] if pop in rep]
                vals = np.concatenate(vals) if vals else np.array([])
                vals = vals[np.isfinite(vals)]
                if vals.size:
                    data[b] = vals
            if not data:
                ax.set_visible(False)
                continue
            lo = min(v.min() for v in data.values())
            hi = max(v.max() for v in data.values())
            bins = np.linspace(lo, hi if hi > lo else lo + 1, 30)
            for i, (b, vals) in enumerate(data.items()):
                ax.hist(vals, bins=bins, histtype="step", lw=1.5, color=colours[i % len(colours)],
                        label=b, density=True)
            ax.set_xlabel(label)
            ax.set_ylabel("density")
            ax.legend(fontsize=8)
            drew = True
        fig.suptitle(f"{pop}: per-cell values, all seeds")
        fig.tight_layout()
        if drew:
            name = f"hist_{safe}.png"
            fig.savefig(os.path.join(result.out_dir, name), dpi=90)
            files.append(name)
        plt.close(fig)
    return files


def write_all(result, figures=True):
    out = result.out_dir
    files = {}
    figs = globals()["figures"](result) if figures else "Figures not requested."
    with open(os.path.join(out, "results.json"), "w") as f:
        json.dump(to_dict(result), f, indent=1)
    files["json"] = os.path.join(out, "results.json")
    with open(os.path.join(out, "summary.md"), "w") as f:
        f.write(markdown(result, figs))
    files["markdown"] = os.path.join(out, "summary.md")
    files["figures"] = [os.path.join(out, f) for f in figs] if isinstance(figs, list) else []
    if isinstance(figs, str):
        files["figures_note"] = figs
    return files

"""Prometheus text exposition (format 0.0.4) of the integration figures (pure Python)."""


def _escape(value):
    return str(value).replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def render(metrics):
    """`metrics`: [{"name", "help", "type", "samples": [({label: value}, number)]}]; a
    histogram's samples are (suffix, {label: value}, number) with suffix `_bucket` (label
    `le`), `_sum` or `_count`."""
    lines = []
    for metric in metrics:
        lines.append(f"# HELP {metric['name']} {metric['help']}")
        lines.append(f"# TYPE {metric['name']} {metric['type']}")
        for sample in metric["samples"]:
            suffix, labels, value = sample if len(sample) == 3 else ("", *sample)
            name = metric["name"] + suffix
            label_text = ",".join(f'{key}="{_escape(val)}"' for key, val in sorted(labels.items()))
            lines.append(f"{name}{{{label_text}}} {float(value):g}" if label_text
                         else f"{name} {float(value):g}")  # fmt: skip
    return "\n".join(lines) + "\n"

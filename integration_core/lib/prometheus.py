"""Prometheus text exposition (format 0.0.4) of the integration figures (pure Python)."""


def _escape(value):
    return str(value).replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def render(metrics):
    """`metrics`: [{"name", "help", "type", "samples": [({label: value}, number)]}]."""
    lines = []
    for metric in metrics:
        lines.append(f"# HELP {metric['name']} {metric['help']}")
        lines.append(f"# TYPE {metric['name']} {metric['type']}")
        for labels, value in metric["samples"]:
            label_text = ",".join(f'{key}="{_escape(val)}"' for key, val in sorted(labels.items()))
            lines.append(f"{metric['name']}{{{label_text}}} {float(value):g}" if label_text
                         else f"{metric['name']} {float(value):g}")  # fmt: skip
    return "\n".join(lines) + "\n"

from . import clm_gate_override

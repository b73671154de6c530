"""Pure shared rules: roles and access policy, disclosure control, tiers, errors, shared types.

``domain`` sits between ``geodata`` (below) and the kernels, models and services (above). It
holds no Store and does no I/O: every rule here is a plain function or type that the floors
above read instead of keeping their own copy.
"""

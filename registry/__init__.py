"""The enterprise registry (区经信局): firms by credit code, their annual facts, the cultivation pools.

Every other domain points at a registry firm; registry alone registers, edits and merges firms,
keeps who was in which pool when, and the yearly figures (revenue, output, R&D, patents) that the
plan's ratios are computed from. It declares itself to the app in `registry/domain.py`.
"""

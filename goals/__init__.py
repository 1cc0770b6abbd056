"""Goals of the district's "Made in China 2025" plan, for the leadership group and every responsible unit.

Keeps the goals and their targets, the values units report per period (submit → approve/return →
locked), nightly snapshots, reminders and the data-quality scan, and rolls every goal up as of
any date from the metrics the other domains declare. The only domain that reads all the others.
It declares itself to the app in `goals/domain.py`.
"""

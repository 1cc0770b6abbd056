"""Talent (区人力社保局, 区委人才办): recognised talents, their programmes and support, leading-talent teams.

Resident-ID numbers are kept only as a salted hash and a masked display; names and IDs are shown
to the talent units alone, every other reader (goals, the firm page) sees counts and opaque
references. It declares itself to the app in `talent/domain.py`.
"""

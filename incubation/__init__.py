"""Incubation (区科技局): carriers, tenancies of incubated firms, makers counts, R&D institutions, alliances.

The science bureau registers maker spaces and incubators, the firms they host and graduate, and
the R&D bodies and alliances behind the plan's innovation targets. It declares itself to the app
in `incubation/domain.py`, including its data-quality check on over-long tenancies.
"""

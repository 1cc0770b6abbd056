"""Incubation (区科技局): carriers, tenancies of incubated firms, makers counts, R&D institutions, alliances."""

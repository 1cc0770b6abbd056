"""Finance (区金融办): the pre-IPO candidate pool with each firm's dated listing stages, direct financing
events, and the listing criteria of each board checked against the firms' annual facts.

It declares itself to the app in `finance/domain.py`.
"""

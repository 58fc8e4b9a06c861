"""Estimators with R's conventions.

One module per method family. Each function is named and parametrised as its R
counterpart (snake_case spelling) and returns a result with ``tidy()`` and
``glance()`` in the spirit of R's broom (see :mod:`models._result`). Nothing here
knows about papers, local authorities or data files.
"""

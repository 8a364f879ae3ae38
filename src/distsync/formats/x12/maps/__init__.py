"""Transaction-set maps, one module each (``m850.py``, ``m856.py``, ...).

``registry.py`` lists the built-in maps explicitly, keyed by set id and map
version. A partner is pinned to a map version in its profile
(``MapOptions.map_version``), so a map can change for new partners without
changing what existing ones get.
"""

"""digitrt's drawing window (PyQt6). Installed as `digitrt_gui`; run with `digitrt-gui`."""

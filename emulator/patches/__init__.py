"""EFS Guard's patches to moto, applied in name order by launcher.py."""

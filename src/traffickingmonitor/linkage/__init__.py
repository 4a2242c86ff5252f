"""linkage stage of the traffickingmonitor data flow."""

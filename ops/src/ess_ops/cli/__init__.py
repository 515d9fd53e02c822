"""The `ess` command: run the default topology locally (`ess up`), look at it (`ess status`), provision the
stream (`ess provision`) and handle pilots' keys (`ess keys`)."""

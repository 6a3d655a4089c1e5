package main

// setGuestMemory is replaced once the guest GC settings are measured.
func setGuestMemory() {}

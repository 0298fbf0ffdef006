package session

// ttDaytonaProviders: Daytona's real toolbox daemon, once its harness is
// available here.
func ttDaytonaProviders() []ttProvider { return nil }

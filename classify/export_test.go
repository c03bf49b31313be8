package classify

// RaceEnabled tells the package's external tests whether the race detector is on (race_test.go).
const RaceEnabled = raceEnabled

package corpus

// Parse parses the guidance text. (Bring-up stub; the real parser lands next.)
func Parse(src string) (*Guidance, error) {
	g := &Guidance{source: src, byCode: map[string]int{}, byRef: map[string]int{}}
	g.squashd = squash(src)
	return g, nil
}

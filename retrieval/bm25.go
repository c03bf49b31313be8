package retrieval

import (
	"bytes"
	"encoding/binary"
	"encoding/gob"
	"fmt"
	"math"
	"slices"
	"strings"
)

// bm25 is an inverted index of our own with BM25 scoring (k1 1.2, b 0.75, idf log(1+(N-df+0.5)/(df+0.5)),
// the formula Bleve uses). Postings are stored compressed-row style: the documents of term i are
// doc[off[i]:off[i+1]], ascending, with their term frequencies in tf. Terms are found through an
// open-addressing hash table (FNV-1a, linear probing) stored with the index, so that loading a
// compiled index builds no map: decoding the coding index's 37,000 terms into a Go map was most of a
// cold start. It is built once, from documents given as term counts, or decoded from its wire form,
// and then only read: safe for concurrent queries.
type bm25 struct {
	text  string  // the terms, sorted, one after another
	ends  []int32 // where term i ends in text
	slots []int32 // hash table: a term id, or -1 for an empty slot; len a power of two
	off   []int32 // len(ends)+1
	doc   []int32
	tf    []uint16
	dlen  []int32   // per document, its number of terms (with repeats)
	norm  []float32 // per document, k1·(1-b+b·len/avg)
}

const (
	bm25K1 = 1.2
	bm25B  = 0.75
)

// newBM25 indexes documents given as their terms with repeats (n documents, terms(i, add) calls add for
// every term occurrence of document i).
func newBM25(n int, terms func(i int, add func(string))) *bm25 {
	type posting struct{ doc, tf int32 }
	post := map[string][]posting{}
	dlen := make([]int32, n)
	for i := 0; i < n; i++ {
		terms(i, func(t string) {
			ps := post[t]
			if k := len(ps) - 1; k >= 0 && ps[k].doc == int32(i) {
				ps[k].tf++
			} else {
				post[t] = append(ps, posting{int32(i), 1})
			}
			dlen[i]++
		})
	}
	vocab := make([]string, 0, len(post))
	for t := range post {
		vocab = append(vocab, t)
	}
	slices.Sort(vocab)
	var text strings.Builder
	x := &bm25{dlen: dlen, off: make([]int32, 1, len(vocab)+1), ends: make([]int32, 0, len(vocab))}
	for _, t := range vocab {
		text.WriteString(t)
		x.ends = append(x.ends, int32(text.Len()))
		for _, p := range post[t] { // in document order: documents are visited in order
			x.doc = append(x.doc, p.doc)
			x.tf = append(x.tf, uint16(min(p.tf, math.MaxUint16)))
		}
		x.off = append(x.off, int32(len(x.doc)))
	}
	x.text = text.String()
	size := 1
	for 3*size < 4*len(vocab)+4 { // load at most 3/4
		size *= 2
	}
	x.slots = make([]int32, size)
	for i := range x.slots {
		x.slots[i] = -1
	}
	for i, t := range vocab {
		h := fnv32(t) & uint32(size-1)
		for x.slots[h] >= 0 {
			h = (h + 1) & uint32(size-1)
		}
		x.slots[h] = int32(i)
	}
	x.setNorm()
	return x
}

func fnv32(s string) uint32 {
	h := uint32(2166136261)
	for i := 0; i < len(s); i++ {
		h ^= uint32(s[i])
		h *= 16777619
	}
	return h
}

func (x *bm25) setNorm() {
	x.norm = make([]float32, len(x.dlen))
	total := 0
	for _, n := range x.dlen {
		total += int(n)
	}
	avg := math.Max(float64(total)/math.Max(float64(len(x.dlen)), 1), 1e-9)
	for i, n := range x.dlen {
		x.norm[i] = float32(bm25K1 * (1 - bm25B + bm25B*float64(n)/avg))
	}
}

// terms is the number of distinct terms.
func (x *bm25) terms() int { return len(x.ends) }

// term returns term i.
func (x *bm25) term(i int) string {
	start := int32(0)
	if i > 0 {
		start = x.ends[i-1]
	}
	return x.text[start:x.ends[i]]
}

// id returns the id of term t, or false when no document uses it.
func (x *bm25) id(t string) (int, bool) {
	mask := uint32(len(x.slots) - 1)
	for h := fnv32(t) & mask; ; h = (h + 1) & mask {
		s := x.slots[h]
		if s < 0 {
			return 0, false
		}
		if x.term(int(s)) == t {
			return int(s), true
		}
	}
}

// idf is term i's inverse document frequency.
func (x *bm25) idf(i int) float64 {
	df := float64(x.off[i+1] - x.off[i])
	return math.Log(1 + (float64(len(x.dlen))-df+0.5)/(df+0.5))
}

// wire is the stored form of a bm25 index. Its integer arrays are stored as unsigned varints, each
// monotone array (term ends, offsets, and the documents of each term) as the differences between
// neighbours, which keeps the embedded index small (most numbers fit in a byte) and decodes in one
// pass; gob copies the byte slices as they are (a gob-encoded []int32 is decoded one value at a time,
// through reflection). Gob encodes it the same way for the same index, so a stored index can be
// compared byte for byte with a fresh build.
type wire struct {
	Text           string
	Ends, Off, Doc []byte // deltas: term ends; posting offsets; documents, restarting at each term
	TF, Len        []byte // values: term frequencies; document lengths
	Slots          []byte // the hash table, int32 little-endian
}

func (x *bm25) wire() wire {
	w := wire{Text: x.text, Ends: deltas(x.ends, nil), Off: deltas(x.off, nil), TF: uvarints(x.tf), Len: uvarints(x.dlen),
		Slots: make([]byte, 4*len(x.slots))}
	for i := range x.ends {
		w.Doc = deltas(x.doc[x.off[i]:x.off[i+1]], w.Doc)
	}
	for i, n := range x.slots {
		binary.LittleEndian.PutUint32(w.Slots[4*i:], uint32(n))
	}
	return w
}

// index checks w's shape and bounds and makes the index.
func (w wire) index() (*bm25, error) {
	bad := func(what string, args ...any) (*bm25, error) {
		return nil, fmt.Errorf("retrieval: malformed index: "+what, args...)
	}
	x := &bm25{text: w.Text, slots: make([]int32, len(w.Slots)/4)}
	var ok bool
	if x.ends, ok = undelta(w.Ends, -1); !ok {
		return bad("term ends")
	}
	V := len(x.ends)
	if x.off, ok = undelta(w.Off, V+1); !ok || x.off[0] != 0 {
		return bad("offsets")
	}
	for i := range V {
		if x.off[i+1] < x.off[i] || x.ends[i] <= 0 || i > 0 && x.ends[i] <= x.ends[i-1] {
			return bad("term %d", i)
		}
	}
	if V > 0 && int(x.ends[V-1]) != len(x.text) {
		return bad("terms end at %d of %d bytes", x.ends[V-1], len(x.text))
	}
	x.doc = make([]int32, x.off[V])
	rest := w.Doc
	for i := 0; i < V; i++ {
		d := int32(0)
		for k := x.off[i]; k < x.off[i+1]; k++ {
			v, n := binary.Uvarint(rest)
			if n <= 0 || v > math.MaxInt32 {
				return bad("postings of term %d", i)
			}
			rest = rest[n:]
			d += int32(v)
			x.doc[k] = d
		}
	}
	if len(rest) != 0 {
		return bad("%d bytes after the postings", len(rest))
	}
	tf, ok := values(w.TF, len(x.doc))
	if !ok {
		return bad("term frequencies")
	}
	x.tf = make([]uint16, len(tf))
	for i, v := range tf {
		x.tf[i] = uint16(min(v, math.MaxUint16))
	}
	if x.dlen, ok = values(w.Len, -1); !ok {
		return bad("document lengths")
	}
	N := len(x.dlen)
	if n := len(x.slots); n < V || n&(n-1) != 0 || len(w.Slots)%4 != 0 {
		return bad("%d hash slots for %d terms", n, V)
	}
	for i := range x.slots {
		x.slots[i] = int32(binary.LittleEndian.Uint32(w.Slots[4*i:]))
		if s := x.slots[i]; s < -1 || int(s) >= V {
			return bad("hash slot %d of %d terms", s, V)
		}
	}
	for _, d := range x.doc {
		if d < 0 || int(d) >= N {
			return bad("posting of document %d of %d", d, N)
		}
	}
	x.setNorm()
	return x, nil
}

// deltas appends to b each value's difference from the one before it (the first from 0), as uvarints;
// vs must not decrease.
func deltas(vs []int32, b []byte) []byte {
	prev := int32(0)
	for _, v := range vs {
		b = binary.AppendUvarint(b, uint64(v-prev))
		prev = v
	}
	return b
}

// undelta decodes deltas: want values (-1: as many as there are).
func undelta(b []byte, want int) ([]int32, bool) {
	vs, ok := values(b, want)
	sum := int64(0)
	for i, v := range vs {
		sum += int64(v)
		if sum > math.MaxInt32 {
			return nil, false
		}
		vs[i] = int32(sum)
	}
	return vs, ok
}

func uvarints[T int32 | uint16](vs []T) []byte {
	var b []byte
	for _, v := range vs {
		b = binary.AppendUvarint(b, uint64(v))
	}
	return b
}

// values decodes uvarints: want values (-1: as many as there are), each below 2^31.
func values(b []byte, want int) ([]int32, bool) {
	var vs []int32
	if want >= 0 {
		vs = make([]int32, 0, want)
	}
	for len(b) > 0 {
		v, n := binary.Uvarint(b)
		if n <= 0 || v > math.MaxInt32 {
			return nil, false
		}
		vs = append(vs, int32(v))
		b = b[n:]
	}
	return vs, want < 0 || len(vs) == want
}

// encodeGob encodes a wire, or a struct that holds one, with gob.
func encodeGob(v any) ([]byte, error) {
	var b bytes.Buffer
	if err := gob.NewEncoder(&b).Encode(v); err != nil {
		return nil, fmt.Errorf("retrieval: encode index: %w", err)
	}
	return b.Bytes(), nil
}

func decodeWire(data []byte, w any) error {
	if err := gob.NewDecoder(bytes.NewReader(data)).Decode(w); err != nil {
		return fmt.Errorf("retrieval: decode index: %w", err)
	}
	return nil
}

// postings returns the documents that use term (ascending); nil for a term not in the index.
func (x *bm25) postings(term string) []int32 {
	i, ok := x.id(term)
	if !ok {
		return nil
	}
	return x.doc[x.off[i]:x.off[i+1]]
}

// accumulateTwo is accumulate for two queries that share term, with their weights, accumulators and
// touched lists: one pass over the postings, each sum's arithmetic accumulate's own.
func (x *bm25) accumulateTwo(term string, w1, w2 float64, acc1, acc2 []float64, t1, t2 []int32) ([]int32, []int32) {
	i, ok := x.id(term)
	if !ok {
		return t1, t2
	}
	idf := x.idf(i)
	for k := x.off[i]; k < x.off[i+1]; k++ {
		d := x.doc[k]
		if acc1[d] == 0 {
			t1 = append(t1, d)
		}
		if acc2[d] == 0 {
			t2 = append(t2, d)
		}
		tf := float64(x.tf[k])
		den := tf + float64(x.norm[d])
		acc1[d] += w1 * idf * tf * (bm25K1 + 1) / den
		acc2[d] += w2 * idf * tf * (bm25K1 + 1) / den
	}
	return t1, t2
}

// accumulate adds weight × BM25(term, d) to acc[d] for every document d that uses term, and appends
// to touched the documents it reaches for the first time (acc[d] was 0).
func (x *bm25) accumulate(term string, weight float64, acc []float64, touched []int32) []int32 {
	i, ok := x.id(term)
	if !ok {
		return touched
	}
	idf := x.idf(i)
	for k := x.off[i]; k < x.off[i+1]; k++ {
		d := x.doc[k]
		if acc[d] == 0 {
			touched = append(touched, d)
		}
		tf := float64(x.tf[k])
		acc[d] += weight * idf * tf * (bm25K1 + 1) / (tf + float64(x.norm[d]))
	}
	return touched
}

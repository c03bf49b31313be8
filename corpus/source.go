package corpus

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// The training data (the coding index in corpus/codingindex and the routing examples in corpus/routing,
// 3.3 MB of JSON lines) is read from the source tree, not embedded: only `fenlei train`, `fenlei eval
// --cv` and tests read it, and a serving binary would carry it for nothing. What serving needs of it is
// compiled by `fenlei train` into the embedded retrieval/index.gob, classify/model.json and
// classify/routing.bin. The question index stays embedded: questions about the guidance are answered from
// it.

// ErrNoTrainingData is returned when the training data cannot be found.
var ErrNoTrainingData = errors.New("corpus: the training data (corpus/codingindex, corpus/routing) is read from the source tree: " +
	"run this inside a clone of the repository")

// trainingFS is the corpus folder of the first directory at or above the working directory that holds
// go.mod and corpus/codingindex.
func trainingFS() (fs.FS, error) {
	dir, err := os.Getwd()
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrNoTrainingData, err)
	}
	for {
		if isDir(filepath.Join(dir, "corpus", "codingindex")) && isFile(filepath.Join(dir, "go.mod")) {
			return os.DirFS(filepath.Join(dir, "corpus")), nil
		}
		up := filepath.Dir(dir)
		if up == dir {
			return nil, ErrNoTrainingData
		}
		dir = up
	}
}

func isDir(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}

func isFile(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular()
}

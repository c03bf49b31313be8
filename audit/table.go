package audit

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"
)

// Formats of filings files.
const (
	CSV  = "csv"
	XLSX = "xlsx"
)

// FormatOf returns the format named by a file's extension: CSV or XLSX.
func FormatOf(name string) (string, error) {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".csv", ".txt":
		return CSV, nil
	case ".xlsx", ".xlsm":
		return XLSX, nil
	}
	return "", fmt.Errorf("%w: %q: 只支持 .csv 和 .xlsx 文件 / only .csv and .xlsx files are supported", ErrInput, filepath.Base(name))
}

// ErrInput is wrapped by every error about the input file itself (format, encoding, headers);
// the message says what is wrong in Chinese and English.
var ErrInput = errors.New("bad filings file")

// Column fields of a filings table.
const (
	colEnterprise = iota
	colDescription
	colDeclared
	colAmount
	colContract
	nCols
)

// aliases are the normalised headers (see normHeader) that name each field.
var aliases = [nCols][]string{
	colEnterprise:  {"企业名称", "企业", "公司名称", "公司", "单位名称", "申报企业", "enterprise", "enterprisename", "company", "companyname"},
	colDescription: {"合同名称或业务描述", "业务描述", "合同名称", "服务内容", "业务内容", "描述", "description", "businessdescription", "contractname", "service", "servicedescription"},
	colDeclared:    {"申报代码", "申报类别", "申报分类", "业务代码", "分类代码", "declaredcode", "declared", "code", "declaredcategory"},
	colAmount:      {"合同金额", "金额", "合同额", "执行金额", "amount", "contractamount", "contractvalue", "value"},
	colContract:    {"合同编号", "合同号", "编号", "contractid", "contractno", "contractnumber"},
}

var fieldNames = [nCols]string{"企业名称/enterprise", "合同名称或业务描述/description", "申报代码/declared code", "合同金额/amount", "合同编号/contract id"}

// normHeader lower-cases a header and drops spaces, punctuation and a bracketed unit:
// "合同金额（万美元）" → "合同金额", "Declared Code" → "declaredcode".
func normHeader(h string) string {
	var b strings.Builder
	depth := 0
	for _, r := range h {
		switch {
		case strings.ContainsRune("(（[【", r):
			depth++
		case strings.ContainsRune(")）]】", r):
			if depth > 0 {
				depth--
			}
		case depth > 0:
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String()
}

// Table is a filings file as read: its header row, the rows under it, and where each field is.
type Table struct {
	Sheet  string     // the sheet read (XLSX) or ""
	Header []string   // the header row as written
	Rows   [][]string // data rows, each padded to len(Header)
	Lines  []int      // the line (CSV) or row number (XLSX) of each data row, for messages
	Lang   string     // "zh" when the headers are Chinese, else "en"
	cols   [nCols]int // index of each field in Header, -1 when absent
}

// findHeader looks for the header row among the first rows (a title may stand above it) and
// returns its index, or an error that lists what was found.
func findHeader(rows [][]string) (int, [nCols]int, error) {
	var first []string
	for i, row := range rows {
		if i == 20 {
			break
		}
		if first == nil && len(strings.Join(row, "")) > 0 {
			first = row
		}
		var cols [nCols]int
		for f := range cols {
			cols[f] = -1
		}
		for j, h := range row {
			n := normHeader(h)
			for f, names := range aliases {
				if cols[f] >= 0 {
					continue
				}
				for _, a := range names {
					if n == a {
						cols[f] = j
						break
					}
				}
			}
		}
		if cols[colDescription] >= 0 && cols[colDeclared] >= 0 {
			return i, cols, nil
		}
	}
	return 0, [nCols]int{}, fmt.Errorf("%w: 找不到表头：需要“%s”和“%s”两列（第一行为 %q）/ no header row with the columns %q and %q (first row: %q)",
		ErrInput, "合同名称或业务描述", "申报代码", first, "description", "declared code", first)
}

func newTable(rows [][]string, lines []int, sheet string) (*Table, error) {
	hi, cols, err := findHeader(rows)
	if err != nil {
		return nil, err
	}
	t := &Table{Sheet: sheet, Header: rows[hi], cols: cols, Lang: "en"}
	for _, h := range t.Header {
		for _, r := range h {
			if unicode.Is(unicode.Han, r) {
				t.Lang = "zh"
			}
		}
	}
	for i := hi + 1; i < len(rows); i++ {
		row := rows[i]
		if strings.TrimSpace(strings.Join(row, "")) == "" {
			continue // blank rows are not filings
		}
		for len(row) < len(t.Header) {
			row = append(row, "")
		}
		t.Rows = append(t.Rows, row)
		t.Lines = append(t.Lines, lines[i])
	}
	return t, nil
}

func (t *Table) field(row []string, f int) string {
	if t.cols[f] < 0 || t.cols[f] >= len(row) {
		return ""
	}
	return strings.TrimSpace(row[t.cols[f]])
}

// Read reads a filings table in format (CSV or XLSX). A CSV may be UTF-8 (with or without a BOM)
// or GB18030 as Excel saves it on Chinese Windows; its separator is a comma, a tab or a semicolon.
// An XLSX is read from its first sheet that has a header row.
func Read(r io.Reader, format string) (*Table, error) {
	switch format {
	case CSV:
		return readCSV(r)
	case XLSX:
		return readXLSX(r)
	}
	return nil, fmt.Errorf("%w: unknown format %q", ErrInput, format)
}

func readCSV(r io.Reader) (*Table, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("audit.Read: %w", err)
	}
	data = bytes.TrimPrefix(data, []byte("\ufeff"))
	if !utf8.Valid(data) {
		dec, err := simplifiedchinese.GB18030.NewDecoder().Bytes(data)
		if err != nil || !utf8.Valid(dec) {
			return nil, fmt.Errorf("%w: 文件既不是 UTF-8 也不是 GB18030 编码 / the file is neither UTF-8 nor GB18030 text", ErrInput)
		}
		data = dec
	}
	if bytes.IndexByte(data, 0) >= 0 {
		return nil, fmt.Errorf("%w: 这不是 CSV 文本文件（是否为 .xlsx？）/ this is not a CSV text file (is it an .xlsx?)", ErrInput)
	}
	firstLine, _, _ := bytes.Cut(data, []byte("\n"))
	cr := csv.NewReader(bytes.NewReader(data))
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	if c, t, s := bytes.Count(firstLine, []byte(",")), bytes.Count(firstLine, []byte("\t")), bytes.Count(firstLine, []byte(";")); t > c && t >= s {
		cr.Comma = '\t'
	} else if s > c {
		cr.Comma = ';'
	}
	var rows [][]string
	var lines []int
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%w: CSV 格式错误 / malformed CSV: %v", ErrInput, err)
		}
		line, _ := cr.FieldPos(0)
		rows = append(rows, rec)
		lines = append(lines, line)
	}
	return newTable(rows, lines, "")
}

func readXLSX(r io.Reader) (*Table, error) {
	f, err := excelize.OpenReader(r)
	if err != nil {
		return nil, fmt.Errorf("%w: 无法读取 XLSX 文件 / not a readable XLSX file: %v", ErrInput, err)
	}
	defer f.Close()
	var firstErr error
	for _, sheet := range f.GetSheetList() {
		rows, err := f.GetRows(sheet)
		if err != nil {
			return nil, fmt.Errorf("%w: sheet %q: %v", ErrInput, sheet, err)
		}
		lines := make([]int, len(rows))
		for i := range lines {
			lines[i] = i + 1
		}
		t, err := newTable(rows, lines, sheet)
		if err == nil {
			return t, nil
		}
		if firstErr == nil {
			firstErr = err
		}
	}
	if firstErr == nil {
		firstErr = fmt.Errorf("%w: 工作簿没有工作表 / the workbook has no sheet", ErrInput)
	}
	return nil, firstErr
}

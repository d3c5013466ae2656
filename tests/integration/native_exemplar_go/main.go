// client_golang's side of the native-exemplar oracle
// (tests/integration/native_exemplars.sh): reads the cases
// native_exemplar_cases.py writes, keeps each case's exemplars with
// client_golang's own nativeExemplars (makeNativeExemplars and addExemplar,
// which the script copies out of a client_golang checkout's
// prometheus/histogram.go into this package, with dto.Exemplar renamed to
// the Exemplar type below) and prints the IDs kept, in order, at every
// "show". Debian's client_golang (1.14) predates native exemplars, so the
// checkout is given to the script; its answers are committed as
// tests/data/native_exemplars.golden.
package main

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"
)

// Exemplar has the fields and getter of client_model's dto.Exemplar that
// addExemplar uses.
type Exemplar struct {
	Value     *float64
	Timestamp *timestamppb.Timestamp
}

// GetValue as the generated getter.
func (e *Exemplar) GetValue() float64 {
	if e != nil && e.Value != nil {
		return *e.Value
	}
	return 0
}

const baseTime = 1700000000

func parse(s string) float64 {
	x, err := strconv.ParseFloat(s, 64)
	if err != nil {
		panic(err)
	}
	return x
}

func main() {
	in := bufio.NewScanner(os.Stdin)
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	var (
		set  nativeExemplars
		name string
		ids  = map[*Exemplar]string{}
	)
	for in.Scan() {
		f := strings.Fields(in.Text())
		switch {
		case len(f) == 4 && f[0] == "case":
			name = f[1]
			max, err := strconv.Atoi(f[2])
			if err != nil {
				panic(err)
			}
			ttl := time.Duration(parse(f[3]) * 1e9)
			set = makeNativeExemplars(ttl, max)
			ids = map[*Exemplar]string{}
		case len(f) == 4 && f[0] == "add":
			v := parse(f[1])
			ns := int64(parse(f[2]) * 1e9)
			e := &Exemplar{Value: &v, Timestamp: timestamppb.New(time.Unix(baseTime, ns))}
			ids[e] = f[3]
			set.addExemplar(e)
		case len(f) == 1 && f[0] == "show":
			fmt.Fprintf(out, "%s:", name)
			for _, e := range set.exemplars {
				fmt.Fprintf(out, " %s", ids[e])
			}
			fmt.Fprintln(out)
		default:
			panic("bad line: " + in.Text())
		}
	}
}

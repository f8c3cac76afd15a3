// The package ships no types: its one export parses the Prometheus text exposition format into
// metric families (name, help, type in capitals, samples or histogram buckets as strings).
declare module 'parse-prometheus-text-format' {
  export default function parsePrometheusTextFormat(text: string): unknown[];
}

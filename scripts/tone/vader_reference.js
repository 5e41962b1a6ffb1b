// Scores stdin lines with the reference VADER port (npm vader-sentiment
// 1.1.3), printing one compound score per line. Run by eval_vader.py, which
// installs the package into a temporary directory first.
const vader = require('vader-sentiment');
const lines = require('fs').readFileSync(0, 'utf8').split('\n');
if (lines.length && lines[lines.length - 1] === '') lines.pop();
const out = lines.map((line) => vader.SentimentIntensityAnalyzer.polarity_scores(line).compound.toFixed(4));
process.stdout.write(out.join('\n') + '\n');

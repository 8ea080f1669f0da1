// Move the packed assembly to where the Python package loads it from (cdk_partition/constructs/_native/_jsii).
const fs = require('fs');
const path = require('path');
const { name, version } = require('./package.json');
const packed = path.join(__dirname, `${name}-${version}.tgz`);
const target = path.join(__dirname, '..', 'cdk_partition', 'constructs', '_native', '_jsii', `${name}@${version}.jsii.tgz`);
fs.renameSync(packed, target);
console.log(`wrote ${path.relative(process.cwd(), target)}`);

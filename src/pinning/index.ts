export { auditPinEvent, type PinEvent, pinEventRecord } from './audit-pin-event.js';
export { type DefinitionChange, diffDefinitions, formatChanges } from './diff-definitions.js';
export { hashTool, type PinnedDefinition, pinnedFields } from './hash-tool.js';
export { type NamedPin, namePins, selectPins } from './pin-names.js';
export { pinRefusal, type PinState, pinStateOf } from './pin-state.js';
export { startToolRefresh } from './refresh-tools.js';
export { pinPollMs, ToolPins, type ToolPinsOptions } from './tool-pins.js';
export { decidePins, type PinDecider, pinChanges } from './pin-decisions.js';

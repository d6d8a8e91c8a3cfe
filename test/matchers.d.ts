// Type declarations of cdktf's jest matchers (registered by Testing.setupJest() in test/setup.ts).
import 'cdktf/lib/testing/adapters/jest';

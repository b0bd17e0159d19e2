/*
 * services.h - the EIP web services of the simulated device (DESIGN 3.3).
 *
 * Each service is taken exactly as Xerox's EIP JavaScript library sends it
 * (XRXWebservices.js 4.3.01 and the service files next to it, as shipped in
 * the public EIP app sarathpk931/noteconverter_v14, src/assets/Xrx/; see
 * tests/fixtures/eip/services.tsv): its path, its SOAP envelope version and
 * the namespace of its request elements, matched byte for byte (the
 * template service's namespace ends in '/', the others do not).  Every call
 * of the library goes out as Content-Type text/xml with SOAPAction "" (its
 * xrxCallAjax default headers), SOAP 1.2 envelopes included; the device
 * also takes application/soap+xml, the SOAP 1.2 media type.
 *
 *  /webservices/office/template_management/1   SOAP 1.1
 *      ns http://www.xerox.com/webservices/office/template_management/1/
 *      PutTemplateRequest{templateName, templateContent}
 *          -> ChecksumResponse{TemplateChecksum} (XRXTemplate.js parses
 *             ChecksumResponse/TemplateChecksum); a template the device
 *             cannot parse -> Sender fault naming the line
 *      DeleteTemplateRequest{templateName, priorChecksum} -> VoidResponse;
 *             unknown name or wrong checksum -> Sender fault
 *      ListTemplatesRequest -> TemplateEntries{TemplateEntry{TemplateName,
 *             TemplateChecksum}*}
 *  /webservices/ScanService/2                   SOAP 1.2
 *      ns http://www.xerox.com/webservices/scanservice/2
 *      InitiateScanWithTemplateRequest{ScanTemplateID, IsFromTemplatePool,
 *             Token} -> InitiateScanWithTemplateResponse{JobID};
 *             IsFromTemplatePool true -> Receiver fault (no template pool)
 *  /webservices/JobManagement/1                 SOAP 1.2
 *      ns http://xml.namespaces.xerox.com/enterprise/JobManagement/1
 *      GetJobDetailsRequest{JobData{JobIdentifierType=JobId,
 *             JobIdentifierString}, JobType=WorkflowScanning}
 *          -> GetJobDetailsResponse{JobInfoXmlDocument}, whose text is an
 *             escaped XML document <JobInfo><JobId/><JobType/><JobName/>
 *             <JobState/><JobStateReasons/><ImagesScanned/><ImagesToScan/>
 *             </JobInfo> (one reason, "None" while there is none; see
 *             scanjob.h)
 *  /webservices/office/device_configuration/1   SOAP 1.1
 *      ns http://www.xerox.com/webservices/office/device_configuration/1
 *      GetDeviceInformationRequest -> GetDeviceInformationResponse{Information},
 *          escaped <DeviceInformation><device><name/><serial/><model/>
 *          <generation/></device><display><canvasSize><width/><height/>
 *          </canvasSize></display></DeviceInformation>
 *  /webservices/office/cuisession/1             SOAP 1.1
 *      ns http://www.xerox.com/webservices/office/cuisession/1
 *      GetSessionInformationRequest -> SessionInformationResponse{Information}
 *          (the response name Xerox's own simulator uses), escaped
 *          <SessionInformation><username/><email><from/></email>
 *          [<ssoAssertion/><ssoSignature/>]</SessionInformation>; username
 *          "guest" (in the spelling the knob gave) and from "" when nobody
 *          is logged in; the SSO pair (sso.h) only for a logged-in user
 *          when a key was given
 *      ExitApplicationRequest -> ExitApplicationResponse
 *
 * Faults, in the service's SOAP version (soap.h): Sender (SOAP 1.1 Client)
 * for anything the request got wrong (wrong Content-Type, too large, not
 * XML, not an Envelope, a DOCTYPE, unknown operation, wrong namespace,
 * missing or bad field, unknown template or job), Receiver (Server) for the
 * device's own trouble (busy, out of memory), VersionMismatch for an
 * envelope of the other SOAP version, MustUnderstand for a Header entry
 * with mustUnderstand.  What a real device answers in these cases is not
 * published; README lists them under "not yet verified".
 */
#ifndef DEVICE_SIM_SERVICES_H
#define DEVICE_SIM_SERVICES_H

#include <stdbool.h>
#include <stddef.h>

#include "device.h"
#include "soap.h"

/* True when path is one of the service paths above. */
bool services_is_path(const char *path);

/*
 * Answers one request for the service at path into out (the whole SOAP
 * envelope).  content_type is the request's header (NULL when absent);
 * too_large says the body was over SOAP_MAX_REQUEST and was not kept.
 * *answer_type gets the Content-Type of the answer.  Returns the HTTP
 * status: 200, or the fault's (soap_write_fault).
 */
int services_handle(struct device *d, const char *path, const char *content_type, const char *body,
                    size_t len, bool too_large, struct soap_buf *out, const char **answer_type);

#endif
